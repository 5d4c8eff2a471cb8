-- 外部サービス (cloud services) with the 機密性 levels each takes and the assets placed in it, and
-- the social-media accounts of the organisation with their reviews (seed §6(8)).
CREATE TABLE cloud_services (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    name TEXT NOT NULL,
    rules TEXT NOT NULL DEFAULT '',
    ismap_number TEXT,
    ismap_expires_on TEXT,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (provider, name)
);
CREATE INDEX cloud_services_unit ON cloud_services (unit_id);

CREATE TABLE cloud_service_classes (
    service_id INTEGER NOT NULL REFERENCES cloud_services(id),
    level_code TEXT NOT NULL,
    PRIMARY KEY (service_id, level_code)
);

CREATE TABLE cloud_placements (
    service_id INTEGER NOT NULL REFERENCES cloud_services(id),
    asset_id INTEGER NOT NULL REFERENCES assets(id),
    placed_at INTEGER NOT NULL,
    PRIMARY KEY (service_id, asset_id)
);
CREATE INDEX cloud_placements_asset ON cloud_placements (asset_id);

CREATE TABLE social_accounts (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    account_name TEXT NOT NULL,
    url TEXT NOT NULL,
    owner_id INTEGER REFERENCES people(id),
    rules TEXT NOT NULL DEFAULT '',
    two_factor INTEGER NOT NULL DEFAULT 0,
    review_months INTEGER NOT NULL DEFAULT 12,
    last_reviewed_on TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (platform, account_name)
);
CREATE INDEX social_accounts_owner ON social_accounts (owner_id);

CREATE TABLE social_reviews (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES social_accounts(id),
    reviewed_on TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    user_id INTEGER REFERENCES users(id),
    at_ms INTEGER NOT NULL
);
CREATE INDEX social_reviews_account ON social_reviews (account_id, id);
