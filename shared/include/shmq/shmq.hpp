// Everything a user of the library needs: the installed headers are these and what they include.
#pragma once

#include "shmq/admin.hpp"           // IWYU pragma: export
#include "shmq/attach_options.hpp"  // IWYU pragma: export
#include "shmq/consumer.hpp"        // IWYU pragma: export
#include "shmq/errors.hpp"          // IWYU pragma: export
#include "shmq/geometry.hpp"        // IWYU pragma: export
#include "shmq/inspect.hpp"         // IWYU pragma: export
#include "shmq/producer.hpp"        // IWYU pragma: export
#include "shmq/version.hpp"         // IWYU pragma: export
