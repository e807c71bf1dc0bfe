"""The platform: tenancy, identity, audit, backups, outbox, e-mail and administration."""
