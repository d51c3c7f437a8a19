#!/usr/bin/env bash
# Coverage-guided fuzzing of the BGP decoder (fuzz/BgpLb.Fuzz) with SharpFuzz + AFL++.
#
#   fuzz/run.sh [SECONDS]          fuzz for SECONDS (default 60), then print a summary
#   FUZZ_OUT=DIR fuzz/run.sh N     keep AFL's output in DIR (default .fuzz/<time>-<pid>); if DIR
#                                  already holds a campaign, resume it (afl-fuzz -i -)
#   fuzz/run.sh --report DIR       summarize an existing campaign (and collect its crashes) only
#   FUZZ_TIMEOUT_MS=N              per-input timeout (default 2000; inputs over it are hangs)
#
# Builds Release, instruments only BgpLb.BgpSpeaker.dll, seeds the corpus from
# tests/BgpSpeaker.Tests/Vectors/**/*.hex, runs afl-fuzz -V SECONDS. Exit status: 0 when no crash
# was saved; 1 when one was (each crash is copied to tests/BgpSpeaker.Tests/Vectors/malformed/
# fuzz-crash-<sha>.bin with a .txt note holding the replayed exception) or when a seed made from
# a vector crashes (reported, not fuzzed); 2 on a setup failure.
# Run as root on Debian 12 with the .NET SDK: installs afl++ with apt when it is missing.
#
# Everything is in functions, called from the last line: bash reads a script as it runs, so an
# edit during an hour-long campaign would otherwise break its summary.
set -euo pipefail

malformed=tests/BgpSpeaker.Tests/Vectors/malformed

main() {
  root=$(cd "$(dirname "$0")/.." && pwd)
  cd "$root"
  if [ "${1:-}" = "--report" ] && [ -n "${2:-}" ]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/bgplb-fuzz.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    build
    report "$(cd "$2" && pwd)" "(earlier run)" 0
    return
  fi
  local seconds=${1:-60}
  if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: fuzz/run.sh [SECONDS] | --report DIR" >&2
    exit 2
  fi
  install_afl
  work=$(mktemp -d "${TMPDIR:-/tmp}/bgplb-fuzz.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  build
  fuzz "$seconds"
}

install_afl() {
  command -v afl-fuzz >/dev/null 2>&1 && return
  if [ "$(id -u)" -ne 0 ]; then
    echo "run.sh: afl-fuzz is missing and we are not root to apt-get install afl++" >&2
    exit 2
  fi
  echo "run.sh: installing afl++" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq afl++ >/dev/null
}

# Release build, copied aside twice: $work/bin is instrumented for afl-fuzz, $work/plain runs
# seeds and crash replays outside it.
build() {
  # Build servers would outlive this script holding its stdout open (a caller reading to EOF hangs).
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
  dotnet tool restore >/dev/null
  dotnet build fuzz/BgpLb.Fuzz/BgpLb.Fuzz.csproj -c Release -nologo -v quiet --disable-build-servers >/dev/null
  cp -r fuzz/BgpLb.Fuzz/bin/Release/net10.0 "$work/bin"
  cp -r "$work/bin" "$work/plain"
  # Only the codec under test: instrumenting SharpFuzz, the target or the BCL adds noise, not coverage.
  dotnet tool run sharpfuzz "$work/bin/BgpLb.BgpSpeaker.dll" >/dev/null
}

fuzz() {
  local seconds=$1 timeout_ms=${FUZZ_TIMEOUT_MS:-2000}
  local out=${FUZZ_OUT:-$root/.fuzz/$(date -u +%Y%m%dT%H%M%SZ)-$$}
  mkdir -p "$(dirname "$out")"
  local input=(-i "$work/seeds") seed_crashes=0
  if [ -f "$out/default/fuzzer_stats" ]; then
    echo "run.sh: resuming the campaign in $out"
    input=(-i -)
  else
    dotnet "$work/plain/BgpLb.Fuzz.dll" --seeds tests/BgpSpeaker.Tests/Vectors "$work/seeds"
    # afl-fuzz refuses to start when a seed crashes: set such seeds aside (their vector already
    # is the regression case), report them, fuzz from the rest and exit 1 at the end.
    if ! dotnet "$work/plain/BgpLb.Fuzz.dll" --repro "$work"/seeds/* >"$work/seeds.log"; then
      grep -v '^ok ' "$work/seeds.log" >&2
      local seed
      while read -r _ seed; do
        echo "seed crash       : $(basename "$seed") (vector path.selector; replayed above)"
        rm "$seed"
        seed_crashes=$((seed_crashes + 1))
      done < <(grep '^CRASH ' "$work/seeds.log")
    fi
  fi

  # AFL_SKIP_BIN_CHECK: the target binary is `dotnet`, not an AFL-compiled ELF; the coverage map
  # is written by the SharpFuzz-instrumented assembly. The rest make afl-fuzz run in a container:
  # no CPU governor, no core_pattern change, no CPU pinning, no curses UI. .NET starts slowly:
  # give the fork server a minute to say hello.
  export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    AFL_NO_AFFINITY=1 AFL_NO_UI=1 AFL_FORKSRV_INIT_TMOUT=60000 AFL_IGNORE_UNKNOWN_ENVS=1
  local started afl_rc
  started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  echo "run.sh: afl-fuzz for ${seconds}s, output in $out"
  set +e
  afl-fuzz "${input[@]}" -o "$out" -t "$timeout_ms" -m none -V "$seconds" \
    -- dotnet "$work/bin/BgpLb.Fuzz.dll" >"$work/afl.log" 2>&1
  afl_rc=$?
  set -e
  if [ ! -f "$out/default/fuzzer_stats" ]; then
    echo "run.sh: afl-fuzz exited $afl_rc without fuzzer_stats; its last output:" >&2
    tail -n 40 "$work/afl.log" >&2
    exit 2
  fi
  cp "$work/afl.log" "$out/afl.log"
  report "$out" "$started" "$seed_crashes"
}

# Prints the summary of the campaign in $1 and copies its crashes to $malformed; exits 1 when
# there are any (or $3 seeds crashed), else 0.
report() {
  local out=$1 started=$2 seed_crashes=$3 stats=$1/default/fuzzer_stats
  field() { sed -n "s/^$1 *: *//p" "$stats" | head -n 1; }
  local crashes
  crashes=$(field saved_crashes)
  echo "== fuzz summary: BgpLb decoder, SharpFuzz $(sed -n 's/.*"SharpFuzz" Version="\([^"]*\)".*/\1/p' Directory.Packages.props) + $(afl-fuzz -h 2>&1 | grep -o 'afl-fuzz++[0-9a-z.]*' | head -n 1)"
  echo "started          : $started ($(date -u -d "@$(field start_time)" +%Y-%m-%dT%H:%M:%SZ) campaign start)"
  echo "run_time         : $(field run_time) s"
  echo "execs_done       : $(field execs_done)"
  echo "execs_per_sec    : $(field execs_per_sec)"
  echo "corpus_count     : $(field corpus_count)"
  echo "edges_found      : $(field edges_found) ($(field bitmap_cvg) of the map), stability $(field stability)"
  echo "saved_crashes    : $crashes"
  echo "saved_hangs      : $(field saved_hangs)"
  echo "seed_crashes     : $seed_crashes"
  echo "output           : $out"

  if [ "${crashes:-0}" -eq 0 ]; then
    [ "$seed_crashes" -eq 0 ] && exit 0
    exit 1
  fi
  mkdir -p "$malformed"
  local crash name
  for crash in "$out"/default/crashes/id:*; do
    [ -f "$crash" ] || continue
    name=fuzz-crash-$(sha256sum "$crash" | cut -c1-16)
    cp "$crash" "$malformed/$name.bin"
    {
      echo "# $name.bin: input that crashed fuzz/BgpLb.Fuzz (DecoderTarget), found by fuzz/run.sh, campaign $out"
      echo "# AFL file: $(basename "$crash")"
      echo "# layout: selector (CodecOptions bits), split position, then the byte stream"
      echo "# replay: dotnet fuzz/BgpLb.Fuzz/bin/Release/net10.0/BgpLb.Fuzz.dll --repro $malformed/$name.bin"
      dotnet "$work/plain/BgpLb.Fuzz.dll" --repro "$crash" 2>&1 | sed 's/^/# /' || true
    } >"$malformed/$name.txt"
    echo "crash            : $malformed/$name.bin"
    sed -n '5,8p' "$malformed/$name.txt" | cut -c1-400
  done
  exit 1
}

main "$@"
