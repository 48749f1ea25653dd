#!/usr/bin/env bash
# Regenerate the checked-in *_pb2.py from the vendored .proto files (see README.md here).
#   pip install grpcio-tools==1.85.1 && bash scanner/android/aapt2_proto/generate.sh
# The .proto files keep AOSP's import path (frameworks/base/tools/aapt2/…), so they are laid out under
# that path in a temporary tree; the generated import of Configuration_pb2 is then made package-relative.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TREE="$(mktemp -d)"
trap 'rm -rf "$TREE"' EXIT
mkdir -p "$TREE/frameworks/base/tools/aapt2" "$TREE/out"
cp "$HERE/Configuration.proto" "$HERE/Resources.proto" "$TREE/frameworks/base/tools/aapt2/"
# protoc refuses a full-runtime file importing a LITE_RUNTIME one (AOSP builds both as lite); Python has no
# lite runtime, so the option is dropped from the temporary copy only
sed -i '/^option optimize_for = LITE_RUNTIME;$/d' "$TREE/frameworks/base/tools/aapt2/Configuration.proto"
python3 -m grpc_tools.protoc -I "$TREE" --python_out="$TREE/out" \
    frameworks/base/tools/aapt2/Configuration.proto frameworks/base/tools/aapt2/Resources.proto
G="$TREE/out/frameworks/base/tools/aapt2"
sed -i 's/^from frameworks\.base\.tools\.aapt2 import Configuration_pb2/from scanner.android.aapt2_proto import Configuration_pb2/' \
    "$G/Resources_pb2.py"
cp "$G/Configuration_pb2.py" "$G/Resources_pb2.py" "$HERE/"
