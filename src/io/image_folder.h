// The image files under a folder, found recursively, in one deterministic order: what `mnet eval`
// reads a labelled folder with (and `mnet classify FOLDER`).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mnet {

// Refused past these, so that a wrong folder (a home directory, a deep generated tree) ends in an
// error instead of an unbounded walk.
constexpr int kMaxFolderDepth = 64;
constexpr int64_t kMaxFolderImages = 10'000'000;

// Whether the file name ends in .jpg, .jpeg, .png or .bmp, in any case.
bool has_image_extension(const std::string& name);

// Every file with an image extension under `folder` and its subfolders, as `folder/relative/path`,
// sorted bytewise by the relative path (the same order on every machine and file system). Symbolic
// links to files and folders are followed; hidden entries (".name") are skipped. Throws InputError
// naming the folder for a path that is missing or not a folder, and naming the subfolder for one
// that cannot be read, a symbolic link that leads back into its own ancestors (a loop), or a tree
// deeper than kMaxFolderDepth or holding more than kMaxFolderImages images.
std::vector<std::string> list_images(const std::string& folder);

}  // namespace mnet
