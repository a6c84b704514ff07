-- The certificate (PEM) a field node trusts for its office's HTTPS address, when the office's
-- certificate is not signed by a public authority (a self-signed one, an agency's own CA).
ALTER TABLE sync_peers ADD COLUMN ca_certificate TEXT;
