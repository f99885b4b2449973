// The stored GO graphs: name, parameters, annotation source and sizes.
MATCH (s:GOGraph)
RETURN s.id AS graph, s.k AS k, s.threshold AS threshold,
       s.annotation_source AS annotation_source, s.annotation_versions AS annotation_versions,
       s.include_inferred AS include_inferred, s.n_genes AS n_genes, s.n_edges AS n_edges,
       size(s.unannotated) AS n_unannotated, s.build AS build, s.built_at AS built_at
ORDER BY graph
