-- API tokens of the HTTP server. Only the SHA-256 of a token (lowercase hex) is stored: the
-- token itself is shown once, when it is made, and cannot be recovered from the store. A token
-- is revoked by setting `revoked_at`, once; nothing else about it ever changes, and it is never
-- deleted, so an auditor can tell which token (by name and role) did what.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    role       TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'operator', 'agent')),
    token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64 AND token_hash NOT GLOB '*[^0-9a-f]*'),
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
-- A name names one live token; a revoked token's name may be given to a new one.
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;

CREATE TRIGGER api_tokens_revoke_only BEFORE UPDATE ON api_tokens
WHEN OLD.revoked_at IS NOT NULL
  OR NEW.revoked_at IS NULL
  OR NEW.id IS NOT OLD.id
  OR NEW.name IS NOT OLD.name
  OR NEW.role IS NOT OLD.role
  OR NEW.token_hash IS NOT OLD.token_hash
  OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'an API token is only ever revoked, once');
END;
CREATE TRIGGER api_tokens_no_delete BEFORE DELETE ON api_tokens
BEGIN
    SELECT RAISE(ABORT, 'API tokens are never deleted');
END;
