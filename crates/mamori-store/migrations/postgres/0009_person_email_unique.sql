-- A person's mail address names one person: the release of quarantined originals is keyed on it.
-- Compared without case, as mail domains are; people without an address are not concerned.
CREATE UNIQUE INDEX people_email_unique ON people (lower(email)) WHERE email IS NOT NULL;
