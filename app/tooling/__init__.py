"""`--screenshots` and `--self-test`: a real window driven through real work, unattended, on
synthetic data."""
