-- How many assets hold each trigram of the search index, read from the index itself: a search
-- asks the index for its text's rarest trigram (see the store's `trigrams` module).
CREATE VIRTUAL TABLE assets_search_vocab USING fts5vocab(assets_search, 'row');
