// The command line of `buildhub mar`, which takes the options of Mozilla's `mar` tool in the
// same positions (options first, then one command letter and its operands), plus long options
// of our own. Parsing is separate from running so it can be tested on its own.
//
// Failure: kInvalidArgument with a message for the user (the caller prints usage and exits 2).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "compress/compression.h"
#include "mar/mar_files.h"
#include "mar/mar_format.h"

namespace bh::cli {

struct MarArgs {
  // Mozilla's options.
  char command = 0;                       // c t T x v s i r X I; 0 with show_help/show_version
  std::vector<std::string> operands;      // what follows the command letter
  std::filesystem::path working_dir;      // -C (applied to every relative path, in order given)
  std::optional<std::string> channel;     // -H
  std::optional<std::string> version;     // -V
  std::vector<std::string> public_keys;   // -D / -D0..-D7
  std::optional<std::string> nss_dir;     // -d (NSS is not supported; kept to explain)
  std::vector<std::string> cert_names;    // -n name (NSS)
  int signature_index = -1;               // -n<i> before -X / -I
  // Our extras.
  bool show_help = false;
  bool show_version = false;
  bool decompress = false;                // -x: write decompressed files
  bool json = false;                      // -t / -T: JSON listing
  std::vector<std::string> private_keys;  // -s: --key, once per signature
  mar::SignatureAlgorithm signature_algorithm = mar::SignatureAlgorithm::kRsaPkcs1Sha384;
  compress::Compression compression = compress::Compression::kNone;  // -c: --compress
  compress::XzSettings xz;                     // --x86, --xz-preset
  bool pad_product_information = true;    // --unpadded-product-info: build-mar's layout
  unsigned jobs = 0;
  std::uint64_t max_entry_size = std::uint64_t{2} << 30;
  std::uint64_t max_mar_size = mar::kDefaultMaxMarSize;
};

Result<MarArgs> parse_mar_args(const std::vector<std::string_view>& args);

// A path as the command means it: relative paths are taken from the -C directory.
std::filesystem::path resolve_path(const MarArgs& args, const std::string& path);

std::string mar_usage();

}  // namespace bh::cli
