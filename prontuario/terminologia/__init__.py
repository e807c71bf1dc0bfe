"""National terminologies (CIAP2, CID-10, SIGTAP, vaccines) as data."""
