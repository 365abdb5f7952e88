/* weaken_version FILE VERSION: sets VER_FLG_WEAK on every version requirement named VERSION in FILE's
   .gnu.version_r (ELF64, little-endian), so that the dynamic loader accepts a library that lacks the version
   (glibc's ld.so only warns about a missing weak version, with LD_DEBUG). Exit 0 when at least one entry is (or
   already was) weak, 1 when none is named VERSION, 2 on an I/O or format error. Used by torchsharp-compat.sh. */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: weaken_version FILE VERSION\n"); return 2; }
    int fd = open(argv[1], O_RDWR);
    if (fd < 0) { perror(argv[1]); return 2; }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) { fprintf(stderr, "%s: not an ELF file\n", argv[1]); return 2; }
    unsigned char *base = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) { perror("mmap"); return 2; }
    Elf64_Ehdr *eh = (Elf64_Ehdr *)base;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64
        || eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > (size_t)st.st_size)
    { fprintf(stderr, "%s: not a 64-bit ELF file with section headers\n", argv[1]); return 2; }
    Elf64_Shdr *sh = (Elf64_Shdr *)(base + eh->e_shoff);
    int found = 0;
    for (int i = 0; i < eh->e_shnum; i++)
    {
        if (sh[i].sh_type != SHT_GNU_verneed || sh[i].sh_link >= eh->e_shnum)
            continue;
        const char *strtab = (const char *)(base + sh[sh[i].sh_link].sh_offset);
        unsigned char *p = base + sh[i].sh_offset;
        for (unsigned n = 0; n < sh[i].sh_info; n++)
        {
            Elf64_Verneed *vn = (Elf64_Verneed *)p;
            unsigned char *a = p + vn->vn_aux;
            for (unsigned k = 0; k < vn->vn_cnt; k++)
            {
                Elf64_Vernaux *aux = (Elf64_Vernaux *)a;
                if (strcmp(strtab + aux->vna_name, argv[2]) == 0)
                {
                    aux->vna_flags |= VER_FLG_WEAK;
                    found = 1;
                }
                if (aux->vna_next == 0) break;
                a += aux->vna_next;
            }
            if (vn->vn_next == 0) break;
            p += vn->vn_next;
        }
    }
    if (msync(base, st.st_size, MS_SYNC) != 0) { perror("msync"); return 2; }
    munmap(base, st.st_size);
    close(fd);
    if (!found) { fprintf(stderr, "%s: no version requirement named %s\n", argv[1], argv[2]); return 1; }
    return 0;
}
