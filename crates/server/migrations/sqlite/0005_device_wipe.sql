-- A device an admin revoked with --wipe (a lost or stolen tablet): at its next
-- request it is told so, and it erases its local copy of the hotel's data.
ALTER TABLE devices ADD COLUMN wipe INTEGER NOT NULL DEFAULT 0;
