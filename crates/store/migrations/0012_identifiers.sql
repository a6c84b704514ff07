-- Document numbers per person (national identity, birth certificate, UNHCR, ration card…):
-- a JSON array of {"kind", "number"}, numbers as given; compared in their normal form.
ALTER TABLE people ADD COLUMN identifiers TEXT NOT NULL DEFAULT '[]';
