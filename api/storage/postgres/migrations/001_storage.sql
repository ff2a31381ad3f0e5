-- Everything the files backend keeps in DATA_DIR: people and their photos, the face model (one row
-- for its header and generation, one per person's entry), the session secret, signed-out sessions
-- and rate-limit windows.

CREATE TABLE people (
  name text PRIMARY KEY
);

-- The stored 320x247 JPEGs. A person's deletion or rename carries their photos with it.
CREATE TABLE photos (
  person text NOT NULL REFERENCES people (name) ON DELETE CASCADE ON UPDATE CASCADE,
  name text NOT NULL,
  bytes bytea NOT NULL,
  sha256 text NOT NULL,
  PRIMARY KEY (person, name)
);

-- The one row every change locks (SELECT ... FOR UPDATE): changes are serialized across hosts.
CREATE TABLE face_model (
  id smallint PRIMARY KEY CHECK (id = 1),
  version integer NOT NULL,
  generation bigint NOT NULL,
  updated_at text NOT NULL
);
INSERT INTO face_model (id, version, generation, updated_at) VALUES (1, 1, 0, '1970-01-01T00:00:00.000Z');

-- A person's entry in the model (their name, descriptors and rejected photos) as its JSON text, at its
-- place in the model's list: json, not jsonb, keeps it byte for byte. Entries need no registered
-- person (an imported model may name anyone, even twice); a change rewrites only the entries it changed.
CREATE TABLE model_entries (
  id bigserial PRIMARY KEY,
  position integer NOT NULL,
  entry json NOT NULL
);
CREATE INDEX model_entries_position ON model_entries (position);

CREATE TABLE auth_secret (
  id smallint PRIMARY KEY CHECK (id = 1),
  secret bytea NOT NULL
);

CREATE TABLE signed_out_sessions (
  id text PRIMARY KEY,
  expires_at bigint NOT NULL
);
CREATE INDEX signed_out_sessions_expiry ON signed_out_sessions (expires_at);

CREATE TABLE rate_limit_windows (
  scope text NOT NULL,
  client text NOT NULL,
  count integer NOT NULL,
  reset_at bigint NOT NULL,
  PRIMARY KEY (scope, client)
);
CREATE INDEX rate_limit_windows_expiry ON rate_limit_windows (reset_at);
