#!/usr/bin/env bash
# Installs the build into a scratch prefix, then builds and runs a consumer twice: with
# find_package(e6data) and with pkg-config. Arguments: BUILD_DIR CXX CXX_FLAGS LINKER_FLAGS
set -euo pipefail
build_dir="$1" cxx="$2" cxx_flags="$3" linker_flags="$4"
here="$(cd "$(dirname "$0")" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

cmake --install "$build_dir" --prefix "$scratch/prefix" >/dev/null
test -f "$scratch/prefix/include/e6data/e6data.hpp"
test ! -e "$scratch/prefix/include/e6data/../wire"  # internal headers are not installed

cmake -S "$here/consumer" -B "$scratch/cmake-build" -G Ninja -DCMAKE_PREFIX_PATH="$scratch/prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$cxx_flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$linker_flags" >/dev/null
cmake --build "$scratch/cmake-build" >/dev/null
"$scratch/cmake-build/consumer"

export PKG_CONFIG_PATH="$scratch/prefix/lib/pkgconfig:$scratch/prefix/lib/x86_64-linux-gnu/pkgconfig"
# shellcheck disable=SC2046,SC2086
"$cxx" $cxx_flags "$here/consumer/main.cpp" -o "$scratch/pc-consumer" \
  $(pkg-config --cflags --libs --static e6data) $linker_flags
"$scratch/pc-consumer"

# The Python package, when built: importable from the prefix alone (not from the build tree).
package="$(find "$scratch/prefix" -type d -name e6data_cpp -path '*dist-packages*' | head -n 1)"
if [ -n "$package" ]; then
  preload=""
  case "$cxx_flags" in
    *-fsanitize=*address*) preload="$("$cxx" -print-file-name=libasan.so) $("$cxx" -print-file-name=libstdc++.so)" ;;
  esac
  LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0 PYTHONPATH="$(dirname "$package")" \
    /usr/bin/python3 -c 'import sys, e6data_cpp as m; assert m.__file__.startswith(sys.argv[1]), m.__file__; assert m.connect and m.apilevel == "2.0"' \
    "$scratch/prefix"
  test -f "$package/__init__.pyi" && test -f "$package/py.typed"
  echo "install test: the installed Python package imports"
fi
echo "install test: find_package and pkg-config consumers passed"
