-- Conflicts are one property's: their key is (property, id), so a conflict id made
-- by one hotel's desk can never shadow another hotel's.
ALTER TABLE conflicts DROP CONSTRAINT conflicts_pkey;
ALTER TABLE conflicts ADD PRIMARY KEY (property_id, id);

-- A stored push result is answered only to the desk that sent the mutation (NULL:
-- stored before this column; answered to that property's desks, redacted).
ALTER TABLE applied_mutations ADD COLUMN device_id TEXT;
