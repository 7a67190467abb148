-- Property-wide enrollment codes for rollouts: one code in a provisioning file
-- enrolls every desk of an image until it expires or an admin revokes it.
ALTER TABLE enrollment_codes ADD COLUMN reusable INTEGER NOT NULL DEFAULT 0;
ALTER TABLE enrollment_codes ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;
