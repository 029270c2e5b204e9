"""The city-scale benchmark (issue 12): bench/run, described in bench/README.md."""
