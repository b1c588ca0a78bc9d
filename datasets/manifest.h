// Manifests: a localisation test set on disk, as `dlcam evaluate` reads it. One text file
// lists the samples; each sample is an input file next to it.
//
//   # dlcam localisation set: file  class  region
//   shapes_0000.png   0  box 12 30 27 44            (h first, w first, h last, w last)
//   blobs_0000.npy    2  box 3 10 7 12 19 15        (h, w, d first; h, w, d last)
//   seq_0000.npy      1  span 40 51                 (t first, t last)
//
// Lines starting with '#' and blank lines are ignored; fields are separated by spaces or
// tabs; file names are relative to the manifest's folder and may not contain white space.
// The class is a 0-based index. Region indices are 0-based and inclusive. Images are PNG
// files (values 0…255); volumes and sequences are float32 .npy arrays in ONNX order
// without the batch (volumes C×D×H×W, sequences C×T), as `dlcam explain` reads them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/localisation.h"

namespace dlcam::datasets {

struct ManifestEntry {
  std::string file;  // as written in the manifest
  std::string path;  // resolved against the manifest's folder
  int64_t label = 0;
  Region region;
};

// Throws dlcam::Error naming the manifest and the line for a line that does not parse, a
// negative class, a region whose first index exceeds its last, or an empty manifest.
std::vector<ManifestEntry> readManifest(const std::string& path);

// Writes the samples into `folder` (created if missing): one input file each, named
// "<kind>_<index>.png" / ".npy" (index zero-padded to 4 digits), plus manifest.txt and
// labels.txt (the class names). Every file is written atomically. Returns the manifest's path.
std::string writeLocalisationSet(const std::string& folder, LocalisationKind kind,
                                 const std::vector<LocalisationSample>& samples);

}  // namespace dlcam::datasets
