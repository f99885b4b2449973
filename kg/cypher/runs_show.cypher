// One model run with all its properties.
MATCH (r:ModelRun {id: $run})
RETURN r {.*} AS run
