/* std::ios_base_library_init() for libstdc++ older than GCC 13 (GLIBCXX_3.4.32). In GCC 13 the function is empty:
   it only exists so that objects that use <iostream> pull in libstdc++'s static initialisation of std::cout and
   friends, which older libstdc++ runs anyway. Built into libglibcxx_compat.so by torchsharp-compat.sh. */
void _ZSt21ios_base_library_initv(void) {}
