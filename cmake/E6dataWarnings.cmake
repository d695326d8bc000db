# Warnings travel through an INTERFACE target linked PRIVATE by our own targets, so consumers of
# the installed library never inherit them (we never touch CMAKE_CXX_FLAGS).
add_library(e6data_warnings INTERFACE)
target_compile_options(e6data_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  $<$<BOOL:${E6DATA_WARNINGS_AS_ERRORS}>:-Werror>)
