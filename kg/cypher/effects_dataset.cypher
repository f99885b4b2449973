// A data set's record: where its pseudobulk file is and the hash it must have.
MATCH (d:Dataset {id: $dataset})
RETURN d.pseudobulk_path AS pseudobulk_path, d.pseudobulk_sha256 AS pseudobulk_sha256,
       d.species AS species
