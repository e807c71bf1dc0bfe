"""Encrypted database backups that are proven by restoring them.

What a backup is
----------------
`pg_dump --format=custom` run as the backup role (BYPASSRLS + pg_read_all_data: as the
owner it would stop at FORCE row-level security), streamed through encryption to a
*public* key straight into `<dir>/<banco>-<YYYYmmdd-HHMMSS>.pecbackup`. No plaintext
touches the disk. Beside it:

- `<file>.sha256`: `sha256sum` format, so `sha256sum -c` works anywhere;
- `<file>.json`: the manifest in clear (for people and the admin page), plus file size and
  SHA-256. The copy inside the encrypted file is the one verification trusts;
- `<file>.sig`: who wrote it (below, "Origin").

The manifest is taken inside the dump's own snapshot (the backup role exports a
REPEATABLE READ snapshot and pg_dump runs with `--snapshot`), so its row counts and audit
chain heads describe exactly the rows in the archive, however busy the server is.

Where each part lives
---------------------
- `formato`: the encrypted container, file format version 1;
- `chaves`: the encryption (X25519) and signing (Ed25519) keys;
- `origem`: the signature beside each file, and the origin check before any restore;
- `arquivos`: the files on disk, the copy to the second location, retention;
- `postgres`: pg_dump and pg_restore, the roles' connections, what a database holds;
- `restauracao`: scratch databases, verify and restore from a file (with the private key);
- `services`: making a backup, with its in-flight verification, and the nightly job;
- `selectors`: what the installation admin page shows;
- `avisos`: how a run reports (BackupError, progress lines, e-mail alerts).
"""
