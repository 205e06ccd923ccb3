// Everything a user of the library needs.
#pragma once

#include "shmq/consumer.hpp"     // IWYU pragma: export
#include "shmq/errors.hpp"       // IWYU pragma: export
#include "shmq/geometry.hpp"     // IWYU pragma: export
#include "shmq/producer.hpp"     // IWYU pragma: export
#include "shmq/segment.hpp"      // IWYU pragma: export
#include "shmq/version.hpp"      // IWYU pragma: export
