# shmq_install_program(TARGET NAME): cmake --install puts the program into bin/ as NAME, a name that
# collides with nothing (the build tree's bin/producer is installed as shmq-producer), and, when
# help2man is found, the man page NAME.1, made at build time from the program's --help and
# --version as man/help-for-man.sh shows them, with the sections in man/NAME.h2m.
option(SHMQ_MAN_PAGES "Make and install the programs' man pages (needs help2man)" ON)
set(shmq_help2man "")
if(SHMQ_MAN_PAGES)
  find_program(SHMQ_HELP2MAN help2man)
  if(NOT SHMQ_HELP2MAN)
    message(STATUS "help2man not found: no man pages (Debian package help2man)")
  elseif(CMAKE_CROSSCOMPILING)
    message(STATUS "cross-compiling: no man pages (help2man runs the programs)")
  else()
    set(shmq_help2man ${SHMQ_HELP2MAN})
  endif()
endif()

function(shmq_install_program target name)
  # install(PROGRAMS), not install(TARGETS): only it can rename.
  install(PROGRAMS $<TARGET_FILE:${target}> DESTINATION ${CMAKE_INSTALL_BINDIR} RENAME ${name})
  if(NOT shmq_help2man)
    return()
  endif()
  file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/man)
  set(page ${PROJECT_BINARY_DIR}/man/${name}.1)
  set(sections ${PROJECT_SOURCE_DIR}/man/${name}.h2m)
  set(runner ${PROJECT_SOURCE_DIR}/man/help-for-man.sh)
  add_custom_command(OUTPUT ${page}
    COMMAND ${CMAKE_COMMAND} -E env SHMQ_MAN_NAME=${name} SHMQ_MAN_PROGRAM=$<TARGET_FILE:${target}>
            ${shmq_help2man} --no-info --include=${sections} --output=${page} ${runner}
    DEPENDS ${target} ${runner} ${sections}
    COMMENT "Making the man page ${name}.1"
    VERBATIM)
  add_custom_target(${target}_man_page ALL DEPENDS ${page})
  install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endfunction()
