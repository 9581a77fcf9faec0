-- The object key a pending window is written under, so that writing it
-- again after a failure replaces that object even if the transfer's
-- settings changed in between.
ALTER TABLE transfer_streams ADD COLUMN pending_key TEXT NOT NULL DEFAULT '';
