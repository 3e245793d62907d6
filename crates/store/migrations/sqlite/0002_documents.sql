-- Named JSON documents by kind (policies, collections, …): settings objects whose shape belongs
-- to their feature and that are read and replaced whole.
CREATE TABLE documents (
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    doc  TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
