"""Quality benchmark (issue 12): our models against statsforecast AutoARIMA and prophet on
weekly and daily windows of the bundled closes. Run it through `scripts/bench-quality.sh`."""
