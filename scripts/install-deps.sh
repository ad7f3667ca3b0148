#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and running yreb-sync
# needs. Idempotent: packages already present are left as they are. Works as root
# (CI) and as a user with sudo.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config git
  # gRPC and protobuf (grpc's CMake config fails without the plugin package)
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  # storage, crypto, vocabulary types
  librocksdb-dev libabsl-dev libssl-dev
  # CLI, config, logging, JSON
  libcli11-dev libtomlplusplus-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  # service integration and observability (systemd for systemd-analyze in tests)
  libsystemd-dev systemd prometheus-cpp-dev libcpp-httplib-dev
  # message catalogs (msgfmt) and locales for Chinese output
  gettext locales-all
  # the Debian package: cpack's dpkg-shlibdeps computes its library dependencies
  dpkg-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # interoperability tests with an independent gRPC implementation
  python3 python3-grpcio python3-protobuf
  # status page tests: headless Chromium, and CJK fonts for its screenshots
  chromium chromium-driver fonts-noto-cjk
)

if [ "$(id -u)" -eq 0 ]; then
  run_as_root=()
elif command -v sudo >/dev/null 2>&1; then
  run_as_root=(sudo)
else
  echo "install-deps.sh: run as root or install sudo; cannot install packages as $(id -un)" >&2
  exit 1
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps.sh: all ${#packages[@]} packages are installed"
  exit 0
fi

echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${run_as_root[@]}" apt-get update
"${run_as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
