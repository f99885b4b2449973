"""Read queries over the graph (Python functions over :mod:`priorgraph.kg.cypher`) and every
export: the GO graph, GLUE guidance graphs, co-expression graphs, gene features and effects."""
