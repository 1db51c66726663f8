"""asv benchmarks of numgrad (see ../asv.conf.json for how to run them)."""
