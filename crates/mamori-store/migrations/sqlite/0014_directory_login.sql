-- Directory login: an account made at its first login through LDAP or Active Directory keeps the
-- DN the directory gave it. Its password is the directory's; the hash column then holds a value
-- no password matches. NULL for a local account.
ALTER TABLE users ADD COLUMN directory_dn TEXT;
