"""Edit operators: image-crop, image-tiling-operator, tiling-region-aggregator-operator."""
