# shellcheck shell=bash
# Native BLAS and LAPACK for Spark MLlib and the PCA kernels (netlib, dev.ludovic.netlib): it loads
# the system's libblas.so.3 / liblapack.so.3 and otherwise falls back to Java (several times
# slower; Spark's MLlib guide, "Dependencies"). Debian's OpenBLAS provides both. Like the dataset,
# it is installed with apt-get when we are root, otherwise the one command is printed (once per
# launch, and only when it is missing). SGDLENS_BLAS_INSTALL=0 never installs.

sgdlens_ldconfig() {
  if command -v ldconfig >/dev/null 2>&1; then ldconfig -p 2>/dev/null; else /sbin/ldconfig -p 2>/dev/null; fi
}

sgdlens_has_native_blas() {
  local libs
  libs="$(sgdlens_ldconfig)"
  grep -q 'libblas\.so\.3 ' <<<"$libs" && grep -q 'liblapack\.so\.3 ' <<<"$libs"
}

sgdlens_ensure_blas() {
  sgdlens_has_native_blas && return 0
  [[ -n "${SGDLENS_DRY_RUN:-}" ]] && return 0
  if [[ "${SGDLENS_BLAS_INSTALL:-1}" != 0 && "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "sgdlens: no system BLAS/LAPACK; installing Debian's OpenBLAS (libopenblas0), once" >&2
    if ! apt-cache policy libopenblas0 2>/dev/null | grep -q 'Candidate: [0-9]'; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
    fi
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0 >/dev/null 2>&1 &&
      sgdlens_has_native_blas; then
      return 0
    fi
    echo "sgdlens: apt-get could not install libopenblas0; continuing with Java BLAS" >&2
    return 0
  fi
  echo "sgdlens: no system BLAS/LAPACK, so linear algebra runs in Java (slower). Install with:" >&2
  echo "  sudo apt-get install -y libopenblas0" >&2
}
