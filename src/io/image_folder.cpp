// Recursive listing of image files with loop and depth checks.
#include "io/image_folder.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include "core/error.h"

namespace mnet {

bool has_image_extension(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return false;
  std::string ext = name.substr(dot + 1);
  for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  return ext == "jpg" || ext == "jpeg" || ext == "png" || ext == "bmp";
}

namespace {

struct FolderId {
  dev_t dev;
  ino_t ino;
  bool operator==(const FolderId& o) const { return dev == o.dev && ino == o.ino; }
};

struct Walk {
  std::string root;
  std::vector<std::string> relative;  // found images, relative to root
  std::vector<FolderId> ancestors;    // the folders from root down to the one being read
};

std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "/" + b; }

void walk(Walk& w, const std::string& rel, const FolderId& id) {
  const std::string path = rel.empty() ? w.root : w.root + "/" + rel;
  if (std::find(w.ancestors.begin(), w.ancestors.end(), id) != w.ancestors.end())
    throw InputError(path + ": symbolic link loop: this folder is one of its own ancestors");
  if (int(w.ancestors.size()) >= kMaxFolderDepth)
    throw InputError(path + ": folders nested deeper than " + std::to_string(kMaxFolderDepth) +
                     " levels (kMaxFolderDepth)");
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), ::closedir);
  if (!dir) throw InputError(path + ": cannot read folder (" + std::strerror(errno) + ")");
  w.ancestors.push_back(id);
  std::vector<std::pair<std::string, FolderId>> subfolders;
  errno = 0;
  while (const dirent* e = ::readdir(dir.get())) {
    const std::string name = e->d_name;
    if (name.empty() || name[0] == '.') continue;  // ".", "..", hidden files and our own temps
    const std::string child = join(rel, name);
    struct stat st {};
    // stat follows symbolic links; a dangling one is an entry that cannot be an image: skipped.
    if (::stat((w.root + "/" + child).c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      subfolders.push_back({child, FolderId{st.st_dev, st.st_ino}});
    } else if (S_ISREG(st.st_mode) && has_image_extension(name)) {
      if (int64_t(w.relative.size()) >= kMaxFolderImages)
        throw InputError(w.root + ": more than " + std::to_string(kMaxFolderImages) + " images (kMaxFolderImages)");
      w.relative.push_back(child);
    }
    errno = 0;
  }
  if (errno != 0) throw InputError(path + ": cannot read folder (" + std::strerror(errno) + ")");
  dir.reset();
  for (const auto& [child, child_id] : subfolders) walk(w, child, child_id);
  w.ancestors.pop_back();
}

}  // namespace

std::vector<std::string> list_images(const std::string& folder) {
  struct stat st {};
  if (::stat(folder.c_str(), &st) != 0)
    throw InputError(folder + ": cannot open (" + std::strerror(errno) + ")");
  if (!S_ISDIR(st.st_mode)) throw InputError(folder + ": not a folder");
  Walk w;
  w.root = folder;
  while (w.root.size() > 1 && w.root.back() == '/') w.root.pop_back();
  walk(w, "", FolderId{st.st_dev, st.st_ino});
  std::sort(w.relative.begin(), w.relative.end());
  std::vector<std::string> paths;
  paths.reserve(w.relative.size());
  for (const std::string& r : w.relative) paths.push_back(w.root == "/" ? "/" + r : w.root + "/" + r);
  return paths;
}

}  // namespace mnet
