#!/usr/bin/env bash
# Makes TorchSharp's libLibTorchSharp.so load with a libstdc++ older than GCC 13 (Debian 12 stops at GLIBCXX_3.4.30).
# The library's only GLIBCXX_3.4.32 symbol is std::ios_base_library_init(), an empty function in GCC 13. For each
# given copy in a build output (never the NuGet cache: the file is replaced, which also breaks any hard link):
#   1. patchelf --clear-symbol-version _ZSt21ios_base_library_initv   (the symbol no longer asks for 3.4.32)
#   2. patchelf --add-needed libglibcxx_compat.so, a shim next to it that defines the empty function
#   3. weaken_version: VER_FLG_WEAK on the GLIBCXX_3.4.32 requirement in .gnu.version_r (ld.so then accepts its absence)
# Does nothing where the host's libstdc++ has GLIBCXX_3.4.32, or where a copy is already patched.
# Needs patchelf and gcc (scripts/ensure-deps.sh installs them). Called by the TorchSharpGlibcxxCompat MSBuild target.
# Usage: torchsharp-compat.sh LIBLIBTORCHSHARP.so...
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
libstdcxx=$(/sbin/ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
[ -n "$libstdcxx" ] || libstdcxx=$(gcc -print-file-name=libstdc++.so.6 2>/dev/null || true)
if [ -n "$libstdcxx" ] && [ -f "$libstdcxx" ] && grep -q GLIBCXX_3.4.32 "$libstdcxx"; then
  exit 0   # GCC 13+ libstdc++ (Ubuntu 24.04, Debian 13): nothing to do
fi
for tool in patchelf gcc; do
  command -v $tool >/dev/null || { echo "torchsharp-compat: $tool is missing; run scripts/ensure-deps.sh (TorchSharp cannot load on this libstdc++ without the compatibility step)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for lib in "$@"; do
  dir=$(dirname "$lib")
  if patchelf --print-needed "$lib" | grep -qx libglibcxx_compat.so && [ -f "$dir/libglibcxx_compat.so" ]; then
    continue
  fi
  [ -x "$work/weaken_version" ] || gcc -O2 -o "$work/weaken_version" "$here/weaken_version.c"
  gcc -O2 -shared -fPIC -Wl,-soname,libglibcxx_compat.so -o "$dir/libglibcxx_compat.so" "$here/ios_base_library_init.c"
  tmp="$dir/.libLibTorchSharp.so.compat.$$"
  cp "$lib" "$tmp"
  patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$tmp"
  patchelf --add-needed libglibcxx_compat.so "$tmp"
  "$work/weaken_version" "$tmp" GLIBCXX_3.4.32
  mv -f "$tmp" "$lib"
  echo "torchsharp-compat: patched $lib for $(basename "${libstdcxx:-libstdc++}") without GLIBCXX_3.4.32"
done
