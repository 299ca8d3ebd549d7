# shellcheck shell=bash
# Makes sure Fashion-MNIST is on the machine before a job that needs it starts. The data comes
# only from Debian's package dataset-fashion-mnist (nothing downloads at run time): installed
# with apt-get when we are root, otherwise the one command that installs it is printed.

SGDLENS_FASHION_MNIST_DEFAULT=/usr/share/datasets/fashion-mnist

sgdlens_ensure_fashion_mnist() {
  local dir="${1:-${SGDLENS_DATA_DIR:-$SGDLENS_FASHION_MNIST_DEFAULT}}"
  if [[ -f "$dir/train-images-idx3-ubyte.gz" || -f "$dir/train-images-idx3-ubyte" ]]; then
    return 0
  fi
  if [[ "$dir" != "$SGDLENS_FASHION_MNIST_DEFAULT" ]]; then
    sgdlens_die "no Fashion-MNIST IDX files in $dir; point --data-dir at a folder with train-images-idx3-ubyte.gz, or omit it to use the Debian package"
  fi
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    # apt's progress and debconf chatter go to a log; the user sees one line, or the log on failure
    local log="${TMPDIR:-/tmp}/sgdlens-apt-$$.log"
    echo "sgdlens: Fashion-MNIST is missing; installing the Debian package dataset-fashion-mnist (log: $log)" >&2
    if DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >>"$log" 2>&1; then
      return 0
    fi
    tail -5 "$log" >&2
    sgdlens_die "apt-get could not install dataset-fashion-mnist (log: $log); install it by hand: apt-get install -y dataset-fashion-mnist"
  fi
  echo "sgdlens: Fashion-MNIST is not installed. Install it with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y dataset-fashion-mnist" >&2
  exit 1
}

# The value of --data-dir in a job's arguments, if any.
sgdlens_data_dir_arg() {
  local prev=""
  for a in "$@"; do
    case "$a" in
      --data-dir=*) echo "${a#--data-dir=}"; return ;;
    esac
    if [[ "$prev" == "--data-dir" ]]; then echo "$a"; return; fi
    prev="$a"
  done
}
