// Remove the co-expression edges of one data set split (before it is rebuilt).
MATCH ()-[r:COEXPRESSED {dataset: $dataset, split: $split}]->()
DELETE r
