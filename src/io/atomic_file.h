// Reading files with a size limit and writing them atomically (temp file + rename).
#pragma once
#include <cstdint>
#include <string>

namespace mnet {

// Writes `bytes` to `path` so that readers see either the old file or the complete new one:
// a temp file `.NAME.mnet-tmp-PID-RANDOM` in the same directory is written, fsynced and renamed
// over `path` (io/temp_files.h: a signal removes it, and so does the next write of `path` if its
// process died). A symlink stays a link and the file it points at is replaced (created if the
// link dangles); a device, FIFO or socket (e.g. /dev/null, /dev/stdout on a pipe) is written
// through, not replaced. Throws RunError("PATH: cannot write: REASON"); on failure no temp file
// is left behind.
void write_file_atomic(const std::string& path, const std::string& bytes);

// The whole content of a regular file. Throws InputError naming the file if it does not exist,
// is a directory or other non-regular file, cannot be read, or is larger than `max_bytes`.
std::string read_file_bytes(const std::string& path, uint64_t max_bytes);

}  // namespace mnet
