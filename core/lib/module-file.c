/* Checks that a module file is a whole ELF shared object before dlopen()
 * maps it.
 *
 * dlopen() maps the file's segments as its program headers describe them
 * and then touches those pages. A file shorter than its headers claim (a
 * copy that did not finish, a full disk) maps fine, but touching a page
 * past the end of the file raises SIGBUS, which kills the whole daemon
 * instead of refusing one module. So every byte range the headers name is
 * checked against the file's size first, with pread() rather than a
 * mapping so that the check itself cannot fault.
 *
 * The check cannot help when the file is rewritten in place after it
 * passed (or while the module is loaded); installing by rename, as
 * `install` and `meson install` do, never does that.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "module-file.h"

#include <elf.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "module-loader.h"

#if __ELF_NATIVE_CLASS == 64
#define NATIVE_ELF_CLASS ELFCLASS64
#else
#define NATIVE_ELF_CLASS ELFCLASS32
#endif

#if G_BYTE_ORDER == G_LITTLE_ENDIAN
#define NATIVE_ELF_DATA ELFDATA2LSB
#else
#define NATIVE_ELF_DATA ELFDATA2MSB
#endif

/* @offset + @length, or G_MAXUINT64 when that overflows: a claim that
 * large is past the end of any file. */
static guint64
end_of (guint64 offset, guint64 length)
{
  return length > G_MAXUINT64 - offset ? G_MAXUINT64 : offset + length;
}

/* Reads exactly @length bytes at @offset; the caller checked that they lie
 * within the file. */
static gboolean
read_at (int fd, void *buffer, gsize length, guint64 offset, const char *path,
         GError **error)
{
  gsize done = 0;

  while (done < length)
    {
      ssize_t n
          = pread (fd, (char *) buffer + done, length - done, (off_t) (offset + done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved_errno = n < 0 ? errno : EIO;

          g_set_error (
              error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_OPEN,
              _ ("%s: cannot be loaded as a shared object: reading it failed: %s"), path,
              g_strerror (saved_errno));
          return FALSE;
        }
      done += (gsize) n;
    }
  return TRUE;
}

static gboolean
refuse (const char *path, const char *reason, GError **error)
{
  g_set_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_OPEN,
               _ ("%s: cannot be loaded as a shared object: %s"), path, reason);
  return FALSE;
}

static gboolean
check_identification (const ElfW (Ehdr) * header, const char *path, GError **error)
{
  if (memcmp (header->e_ident, ELFMAG, SELFMAG) != 0)
    return refuse (path, _ ("it is not an ELF file (no ELF magic number)"), error);
  if (header->e_ident[EI_CLASS] != NATIVE_ELF_CLASS
      || header->e_ident[EI_DATA] != NATIVE_ELF_DATA)
    return refuse (path,
                   _ ("it is an ELF file for another word size or byte order than "
                      "this machine's"),
                   error);
  if (header->e_type != ET_DYN)
    return refuse (path, _ ("it is an ELF file but not a shared object"), error);
  if (header->e_phentsize != sizeof (ElfW (Phdr)) || header->e_phnum == 0
      || header->e_phnum == PN_XNUM)
    return refuse (path, _ ("its ELF program header table is malformed"), error);
  if (header->e_shoff != 0 && header->e_shentsize != sizeof (ElfW (Shdr)))
    return refuse (path, _ ("its ELF section header table is malformed"), error);
  return TRUE;
}

/* The end of the last byte the program headers and their segments claim,
 * or of the table alone when it does not fit in the file. */
static gboolean
program_headers_end (int fd, const ElfW (Ehdr) * header, guint64 size, const char *path,
                     guint64 *end, GError **error)
{
  gsize table_size = (gsize) header->e_phnum * sizeof (ElfW (Phdr));
  g_autofree ElfW (Phdr) *table = NULL;

  *end = end_of (header->e_phoff, table_size);
  if (*end > size)
    return TRUE;
  table = g_malloc (table_size);
  if (!read_at (fd, table, table_size, header->e_phoff, path, error))
    return FALSE;
  for (guint i = 0; i < header->e_phnum; i++)
    if (table[i].p_filesz > 0)
      *end = MAX (*end, end_of (table[i].p_offset, table[i].p_filesz));
  return TRUE;
}

/* Same for the section headers and the sections that occupy file bytes.
 * dlopen() does not read them, but a file that ends before them is not
 * the file the linker wrote, whatever else still happens to fit. */
static gboolean
section_headers_end (int fd, const ElfW (Ehdr) * header, guint64 size, const char *path,
                     guint64 *end, GError **error)
{
  guint64 count = header->e_shnum;
  g_autofree ElfW (Shdr) *table = NULL;

  *end = 0;
  if (header->e_shoff == 0)
    return TRUE;
  /* With 0xff00 sections or more, e_shnum is 0 and section 0's sh_size
   * holds the count (ELF gABI, "Extended section numbering"). */
  if (count == 0)
    {
      ElfW (Shdr) first;

      *end = end_of (header->e_shoff, sizeof first);
      if (*end > size)
        return TRUE;
      if (!read_at (fd, &first, sizeof first, header->e_shoff, path, error))
        return FALSE;
      count = first.sh_size;
    }
  if (count > G_MAXUINT64 / sizeof (ElfW (Shdr)))
    {
      *end = G_MAXUINT64;
      return TRUE;
    }
  *end = MAX (*end, end_of (header->e_shoff, count * sizeof (ElfW (Shdr))));
  if (*end > size || count == 0)
    return TRUE;

  table = g_malloc (count * sizeof (ElfW (Shdr)));
  if (!read_at (fd, table, count * sizeof (ElfW (Shdr)), header->e_shoff, path, error))
    return FALSE;
  for (guint64 i = 0; i < count; i++)
    if (table[i].sh_type != SHT_NOBITS && table[i].sh_size > 0)
      *end = MAX (*end, end_of (table[i].sh_offset, table[i].sh_size));
  return TRUE;
}

gboolean
convoke_module_file_check (const char *path, GError **error)
{
  ElfW (Ehdr) header;
  struct stat st;
  guint64 size, program_end, section_end;
  int fd;
  gboolean ok = FALSE;

  g_return_val_if_fail (path != NULL, FALSE);

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, CONVOKE_MODULE_ERROR, CONVOKE_MODULE_ERROR_OPEN,
                   _ ("%s: cannot be loaded as a shared object: %s"), path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      refuse (path, _ ("it is not a regular file"), error);
      goto out;
    }
  size = (guint64) st.st_size;
  if (size < sizeof header)
    {
      g_autofree char *reason = g_strdup_printf (
          g_dngettext (GETTEXT_PACKAGE,
                       "it is %u byte long, shorter than an ELF header (%u bytes); the "
                       "file is truncated or not a module",
                       "it is %u bytes long, shorter than an ELF header (%u bytes); the "
                       "file is truncated or not a module",
                       (gulong) size),
          (guint) size, (guint) sizeof header);

      refuse (path, reason, error);
      goto out;
    }
  if (!read_at (fd, &header, sizeof header, 0, path, error)
      || !check_identification (&header, path, error)
      || !program_headers_end (fd, &header, size, path, &program_end, error)
      || !section_headers_end (fd, &header, size, path, &section_end, error))
    goto out;

  if (MAX (program_end, section_end) > size)
    {
      g_autofree char *reason = NULL;

      if (MAX (program_end, section_end) == G_MAXUINT64)
        reason = g_strdup (_ ("its ELF headers describe more bytes than any file can "
                              "hold; the file is corrupt"));
      else
        reason = g_strdup_printf (
            _ ("it is %llu bytes long, but its ELF headers describe %llu bytes; the "
               "file is truncated (a copy that did not finish?)"),
            (unsigned long long) size,
            (unsigned long long) MAX (program_end, section_end));
      refuse (path, reason, error);
      goto out;
    }
  ok = TRUE;

out:
  close (fd);
  return ok;
}
