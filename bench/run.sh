#!/usr/bin/env bash
# Runs the benchmark: publishes the server and the ceiling app, starts both on loopback, seeds,
# loads each scenario and writes bench/results/. Options pass through (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run -c Release --project bench/Baas.Bench -- "$@"
