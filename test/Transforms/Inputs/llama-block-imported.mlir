// The Llama-style block of test/Import/jax-llama_block.test (bf16; RMSNorm,
// RoPE, causal GQA-ready attention through @_where, SwiGLU through @silu,
// TP = 4 all-reduces) as braid-import-stablehlo printed it on 2026-11-25:
// a frozen copy, so raise-imported-llama-block.mlir checks the raising on
// exactly this form whatever the importer does next.
shard.grid @mesh(shape = 4)

func.func @main(%arg0: tensor<2x16x64xbf16>, %arg1: tensor<64xbf16>, %arg2: tensor<64x16xbf16>, %arg3: tensor<64x16xbf16>, %arg4: tensor<64x16xbf16>, %arg5: tensor<16x64xbf16>, %arg6: tensor<64xbf16>, %arg7: tensor<64x32xbf16>, %arg8: tensor<64x32xbf16>, %arg9: tensor<32x64xbf16>) -> (tensor<2x16x64xbf16>) {
  %v1 = arith.extf %arg0 : tensor<2x16x64xbf16> to tensor<2x16x64xf32>
  %v2 = arith.mulf %v1, %v1 : tensor<2x16x64xf32>
  %v3 = arith.constant 0.0 : f32
  %v4 = tensor.empty() : tensor<2x16xf32>
  %v5 = linalg.fill ins(%v3 : f32) outs(%v4 : tensor<2x16xf32>) -> tensor<2x16xf32>
  %v9 = linalg.reduce ins(%v2 : tensor<2x16x64xf32>) outs(%v5 : tensor<2x16xf32>) dimensions = [2]
    (%in6: f32, %acc7: f32) {
      %r8 = arith.addf %in6, %acc7 : f32
      linalg.yield %r8 : f32
    }
  %v10 = tensor.expand_shape %v9 [[0], [1, 2]] output_shape [2, 16, 1] : tensor<2x16xf32> into tensor<2x16x1xf32>
  %v11 = arith.constant dense<64.0> : tensor<2x16x1xf32>
  %v12 = arith.divf %v10, %v11 : tensor<2x16x1xf32>
  %v13 = arith.constant dense<9.999999747378752e-06> : tensor<2x16x1xf32>
  %v14 = arith.addf %v12, %v13 : tensor<2x16x1xf32>
  %v15 = math.rsqrt %v14 : tensor<2x16x1xf32>
  %v16 = tensor.collapse_shape %v15 [[0], [1, 2]] : tensor<2x16x1xf32> into tensor<2x16xf32>
  %v17 = tensor.empty() : tensor<2x16x64xf32>
  %v18 = linalg.broadcast ins(%v16 : tensor<2x16xf32>) outs(%v17 : tensor<2x16x64xf32>) dimensions = [2]
  %v19 = arith.mulf %v1, %v18 : tensor<2x16x64xf32>
  %v20 = arith.truncf %v19 : tensor<2x16x64xf32> to tensor<2x16x64xbf16>
  %v21 = tensor.expand_shape %arg1 [[0, 1, 2]] output_shape [1, 1, 64] : tensor<64xbf16> into tensor<1x1x64xbf16>
  %v22 = tensor.empty() : tensor<2x16x64xbf16>
  %v23 = linalg.broadcast ins(%arg1 : tensor<64xbf16>) outs(%v22 : tensor<2x16x64xbf16>) dimensions = [0, 1]
  %v24 = arith.mulf %v20, %v23 : tensor<2x16x64xbf16>
  %v25 = tensor.collapse_shape %v24 [[0, 1], [2]] : tensor<2x16x64xbf16> into tensor<32x64xbf16>
  %v26 = arith.constant 0.0 : f32
  %v27 = tensor.empty() : tensor<32x16xf32>
  %v28 = linalg.fill ins(%v26 : f32) outs(%v27 : tensor<32x16xf32>) -> tensor<32x16xf32>
  %v29 = linalg.matmul ins(%v25, %arg2 : tensor<32x64xbf16>, tensor<64x16xbf16>) outs(%v28 : tensor<32x16xf32>) -> tensor<32x16xf32>
  %v30 = arith.truncf %v29 : tensor<32x16xf32> to tensor<32x16xbf16>
  %v31 = tensor.expand_shape %v30 [[0, 1], [2]] output_shape [2, 16, 16] : tensor<32x16xbf16> into tensor<2x16x16xbf16>
  %v32 = tensor.expand_shape %v30 [[0, 1], [2, 3]] output_shape [2, 16, 2, 8] : tensor<32x16xbf16> into tensor<2x16x2x8xbf16>
  %v33 = tensor.collapse_shape %v24 [[0, 1], [2]] : tensor<2x16x64xbf16> into tensor<32x64xbf16>
  %v34 = arith.constant 0.0 : f32
  %v35 = tensor.empty() : tensor<32x16xf32>
  %v36 = linalg.fill ins(%v34 : f32) outs(%v35 : tensor<32x16xf32>) -> tensor<32x16xf32>
  %v37 = linalg.matmul ins(%v33, %arg3 : tensor<32x64xbf16>, tensor<64x16xbf16>) outs(%v36 : tensor<32x16xf32>) -> tensor<32x16xf32>
  %v38 = arith.truncf %v37 : tensor<32x16xf32> to tensor<32x16xbf16>
  %v39 = tensor.expand_shape %v38 [[0, 1], [2]] output_shape [2, 16, 16] : tensor<32x16xbf16> into tensor<2x16x16xbf16>
  %v40 = tensor.expand_shape %v38 [[0, 1], [2, 3]] output_shape [2, 16, 2, 8] : tensor<32x16xbf16> into tensor<2x16x2x8xbf16>
  %v41 = tensor.collapse_shape %v24 [[0, 1], [2]] : tensor<2x16x64xbf16> into tensor<32x64xbf16>
  %v42 = arith.constant 0.0 : f32
  %v43 = tensor.empty() : tensor<32x16xf32>
  %v44 = linalg.fill ins(%v42 : f32) outs(%v43 : tensor<32x16xf32>) -> tensor<32x16xf32>
  %v45 = linalg.matmul ins(%v41, %arg4 : tensor<32x64xbf16>, tensor<64x16xbf16>) outs(%v44 : tensor<32x16xf32>) -> tensor<32x16xf32>
  %v46 = arith.truncf %v45 : tensor<32x16xf32> to tensor<32x16xbf16>
  %v47 = tensor.expand_shape %v46 [[0, 1], [2]] output_shape [2, 16, 16] : tensor<32x16xbf16> into tensor<2x16x16xbf16>
  %v48 = tensor.expand_shape %v46 [[0, 1], [2, 3]] output_shape [2, 16, 2, 8] : tensor<32x16xbf16> into tensor<2x16x2x8xbf16>
  %v49 = tensor.empty() : tensor<16xi32>
  %v53 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%v49 : tensor<16xi32>) {
  ^bb0(%out50: i32):
    %i51 = linalg.index 0 : index
    %c52 = arith.index_cast %i51 : index to i32
    linalg.yield %c52 : i32
  } -> tensor<16xi32>
  %v54 = tensor.empty() : tensor<4xf32>
  %v59 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%v54 : tensor<4xf32>) {
  ^bb0(%out55: f32):
    %i56 = linalg.index 0 : index
    %c58 = arith.index_cast %i56 : index to i64
    %c57 = arith.sitofp %c58 : i64 to f32
    linalg.yield %c57 : f32
  } -> tensor<4xf32>
  %v60 = arith.constant dense<2.0> : tensor<4xf32>
  %v61 = arith.mulf %v60, %v59 : tensor<4xf32>
  %v62 = arith.constant dense<0.0> : tensor<4xf32>
  %v63 = arith.addf %v62, %v61 : tensor<4xf32>
  %v64 = arith.constant dense<8.0> : tensor<4xf32>
  %v65 = arith.divf %v63, %v64 : tensor<4xf32>
  %v66 = arith.constant dense<10000.0> : tensor<4xf32>
  %v67 = math.powf %v66, %v65 : tensor<4xf32>
  %v68 = arith.constant dense<1.0> : tensor<4xf32>
  %v69 = arith.divf %v68, %v67 : tensor<4xf32>
  %v70 = tensor.expand_shape %v53 [[0, 1]] output_shape [16, 1] : tensor<16xi32> into tensor<16x1xi32>
  %v71 = arith.sitofp %v70 : tensor<16x1xi32> to tensor<16x1xf32>
  %v72 = tensor.expand_shape %v69 [[0, 1]] output_shape [1, 4] : tensor<4xf32> into tensor<1x4xf32>
  %v73 = tensor.collapse_shape %v71 [[0, 1]] : tensor<16x1xf32> into tensor<16xf32>
  %v74 = tensor.empty() : tensor<16x4xf32>
  %v75 = linalg.broadcast ins(%v73 : tensor<16xf32>) outs(%v74 : tensor<16x4xf32>) dimensions = [1]
  %v76 = tensor.empty() : tensor<16x4xf32>
  %v77 = linalg.broadcast ins(%v69 : tensor<4xf32>) outs(%v76 : tensor<16x4xf32>) dimensions = [0]
  %v78 = arith.mulf %v75, %v77 : tensor<16x4xf32>
  %v79 = math.cos %v78 : tensor<16x4xf32>
  %v80 = math.cos %v78 : tensor<16x4xf32>
  %v81 = tensor.concat dim(1) %v79, %v80 : (tensor<16x4xf32>, tensor<16x4xf32>) -> tensor<16x8xf32>
  %v82 = tensor.expand_shape %v81 [[0, 1], [2]] output_shape [16, 1, 8] : tensor<16x8xf32> into tensor<16x1x8xf32>
  %v83 = math.sin %v78 : tensor<16x4xf32>
  %v84 = math.sin %v78 : tensor<16x4xf32>
  %v85 = tensor.concat dim(1) %v83, %v84 : (tensor<16x4xf32>, tensor<16x4xf32>) -> tensor<16x8xf32>
  %v86 = tensor.expand_shape %v85 [[0, 1], [2]] output_shape [16, 1, 8] : tensor<16x8xf32> into tensor<16x1x8xf32>
  %v87 = tensor.extract_slice %v32[0, 0, 0, 0] [2, 16, 2, 4] [1, 1, 1, 1] : tensor<2x16x2x8xbf16> to tensor<2x16x2x4xbf16>
  %v88 = tensor.extract_slice %v32[0, 0, 0, 4] [2, 16, 2, 4] [1, 1, 1, 1] : tensor<2x16x2x8xbf16> to tensor<2x16x2x4xbf16>
  %v89 = arith.negf %v88 : tensor<2x16x2x4xbf16>
  %v90 = tensor.concat dim(3) %v89, %v87 : (tensor<2x16x2x4xbf16>, tensor<2x16x2x4xbf16>) -> tensor<2x16x2x8xbf16>
  %v91 = arith.extf %v32 : tensor<2x16x2x8xbf16> to tensor<2x16x2x8xf32>
  %v92 = tensor.expand_shape %v81 [[0, 1, 2], [3]] output_shape [1, 16, 1, 8] : tensor<16x8xf32> into tensor<1x16x1x8xf32>
  %v93 = tensor.empty() : tensor<2x16x2x8xf32>
  %v94 = linalg.broadcast ins(%v81 : tensor<16x8xf32>) outs(%v93 : tensor<2x16x2x8xf32>) dimensions = [0, 2]
  %v95 = arith.mulf %v91, %v94 : tensor<2x16x2x8xf32>
  %v96 = arith.extf %v90 : tensor<2x16x2x8xbf16> to tensor<2x16x2x8xf32>
  %v97 = tensor.expand_shape %v85 [[0, 1, 2], [3]] output_shape [1, 16, 1, 8] : tensor<16x8xf32> into tensor<1x16x1x8xf32>
  %v98 = tensor.empty() : tensor<2x16x2x8xf32>
  %v99 = linalg.broadcast ins(%v85 : tensor<16x8xf32>) outs(%v98 : tensor<2x16x2x8xf32>) dimensions = [0, 2]
  %v100 = arith.mulf %v96, %v99 : tensor<2x16x2x8xf32>
  %v101 = arith.addf %v95, %v100 : tensor<2x16x2x8xf32>
  %v102 = arith.truncf %v101 : tensor<2x16x2x8xf32> to tensor<2x16x2x8xbf16>
  %v103 = tensor.empty() : tensor<4xf32>
  %v108 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%v103 : tensor<4xf32>) {
  ^bb0(%out104: f32):
    %i105 = linalg.index 0 : index
    %c107 = arith.index_cast %i105 : index to i64
    %c106 = arith.sitofp %c107 : i64 to f32
    linalg.yield %c106 : f32
  } -> tensor<4xf32>
  %v109 = arith.constant dense<2.0> : tensor<4xf32>
  %v110 = arith.mulf %v109, %v108 : tensor<4xf32>
  %v111 = arith.constant dense<0.0> : tensor<4xf32>
  %v112 = arith.addf %v111, %v110 : tensor<4xf32>
  %v113 = arith.constant dense<8.0> : tensor<4xf32>
  %v114 = arith.divf %v112, %v113 : tensor<4xf32>
  %v115 = arith.constant dense<10000.0> : tensor<4xf32>
  %v116 = math.powf %v115, %v114 : tensor<4xf32>
  %v117 = arith.constant dense<1.0> : tensor<4xf32>
  %v118 = arith.divf %v117, %v116 : tensor<4xf32>
  %v119 = tensor.expand_shape %v53 [[0, 1]] output_shape [16, 1] : tensor<16xi32> into tensor<16x1xi32>
  %v120 = arith.sitofp %v119 : tensor<16x1xi32> to tensor<16x1xf32>
  %v121 = tensor.expand_shape %v118 [[0, 1]] output_shape [1, 4] : tensor<4xf32> into tensor<1x4xf32>
  %v122 = tensor.collapse_shape %v120 [[0, 1]] : tensor<16x1xf32> into tensor<16xf32>
  %v123 = tensor.empty() : tensor<16x4xf32>
  %v124 = linalg.broadcast ins(%v122 : tensor<16xf32>) outs(%v123 : tensor<16x4xf32>) dimensions = [1]
  %v125 = tensor.empty() : tensor<16x4xf32>
  %v126 = linalg.broadcast ins(%v118 : tensor<4xf32>) outs(%v125 : tensor<16x4xf32>) dimensions = [0]
  %v127 = arith.mulf %v124, %v126 : tensor<16x4xf32>
  %v128 = math.cos %v127 : tensor<16x4xf32>
  %v129 = math.cos %v127 : tensor<16x4xf32>
  %v130 = tensor.concat dim(1) %v128, %v129 : (tensor<16x4xf32>, tensor<16x4xf32>) -> tensor<16x8xf32>
  %v131 = tensor.expand_shape %v130 [[0, 1], [2]] output_shape [16, 1, 8] : tensor<16x8xf32> into tensor<16x1x8xf32>
  %v132 = math.sin %v127 : tensor<16x4xf32>
  %v133 = math.sin %v127 : tensor<16x4xf32>
  %v134 = tensor.concat dim(1) %v132, %v133 : (tensor<16x4xf32>, tensor<16x4xf32>) -> tensor<16x8xf32>
  %v135 = tensor.expand_shape %v134 [[0, 1], [2]] output_shape [16, 1, 8] : tensor<16x8xf32> into tensor<16x1x8xf32>
  %v136 = tensor.extract_slice %v40[0, 0, 0, 0] [2, 16, 2, 4] [1, 1, 1, 1] : tensor<2x16x2x8xbf16> to tensor<2x16x2x4xbf16>
  %v137 = tensor.extract_slice %v40[0, 0, 0, 4] [2, 16, 2, 4] [1, 1, 1, 1] : tensor<2x16x2x8xbf16> to tensor<2x16x2x4xbf16>
  %v138 = arith.negf %v137 : tensor<2x16x2x4xbf16>
  %v139 = tensor.concat dim(3) %v138, %v136 : (tensor<2x16x2x4xbf16>, tensor<2x16x2x4xbf16>) -> tensor<2x16x2x8xbf16>
  %v140 = arith.extf %v40 : tensor<2x16x2x8xbf16> to tensor<2x16x2x8xf32>
  %v141 = tensor.expand_shape %v130 [[0, 1, 2], [3]] output_shape [1, 16, 1, 8] : tensor<16x8xf32> into tensor<1x16x1x8xf32>
  %v142 = tensor.empty() : tensor<2x16x2x8xf32>
  %v143 = linalg.broadcast ins(%v130 : tensor<16x8xf32>) outs(%v142 : tensor<2x16x2x8xf32>) dimensions = [0, 2]
  %v144 = arith.mulf %v140, %v143 : tensor<2x16x2x8xf32>
  %v145 = arith.extf %v139 : tensor<2x16x2x8xbf16> to tensor<2x16x2x8xf32>
  %v146 = tensor.expand_shape %v134 [[0, 1, 2], [3]] output_shape [1, 16, 1, 8] : tensor<16x8xf32> into tensor<1x16x1x8xf32>
  %v147 = tensor.empty() : tensor<2x16x2x8xf32>
  %v148 = linalg.broadcast ins(%v134 : tensor<16x8xf32>) outs(%v147 : tensor<2x16x2x8xf32>) dimensions = [0, 2]
  %v149 = arith.mulf %v145, %v148 : tensor<2x16x2x8xf32>
  %v150 = arith.addf %v144, %v149 : tensor<2x16x2x8xf32>
  %v151 = arith.truncf %v150 : tensor<2x16x2x8xf32> to tensor<2x16x2x8xbf16>
  %v152 = tensor.empty() : tensor<2x2x16x8xbf16>
  %v153 = linalg.transpose ins(%v102 : tensor<2x16x2x8xbf16>) outs(%v152 : tensor<2x2x16x8xbf16>) permutation = [0, 2, 1, 3]
  %v154 = tensor.empty() : tensor<2x2x8x16xbf16>
  %v155 = linalg.transpose ins(%v151 : tensor<2x16x2x8xbf16>) outs(%v154 : tensor<2x2x8x16xbf16>) permutation = [0, 2, 3, 1]
  %v156 = tensor.collapse_shape %v153 [[0, 1], [2], [3]] : tensor<2x2x16x8xbf16> into tensor<4x16x8xbf16>
  %v157 = tensor.collapse_shape %v155 [[0, 1], [2], [3]] : tensor<2x2x8x16xbf16> into tensor<4x8x16xbf16>
  %v158 = arith.constant 0.0 : f32
  %v159 = tensor.empty() : tensor<4x16x16xf32>
  %v160 = linalg.fill ins(%v158 : f32) outs(%v159 : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %v161 = linalg.batch_matmul ins(%v156, %v157 : tensor<4x16x8xbf16>, tensor<4x8x16xbf16>) outs(%v160 : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %v162 = tensor.expand_shape %v161 [[0, 1], [2], [3]] output_shape [2, 2, 16, 16] : tensor<4x16x16xf32> into tensor<2x2x16x16xf32>
  %v163 = arith.constant dense<2.8284270763397217> : tensor<2x2x16x16xf32>
  %v164 = arith.divf %v162, %v163 : tensor<2x2x16x16xf32>
  %v165 = tensor.empty() : tensor<16x16xi32>
  %v169 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%v165 : tensor<16x16xi32>) {
  ^bb0(%out166: i32):
    %i167 = linalg.index 0 : index
    %c168 = arith.index_cast %i167 : index to i32
    linalg.yield %c168 : i32
  } -> tensor<16x16xi32>
  %v170 = tensor.empty() : tensor<16x16xi32>
  %v174 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%v170 : tensor<16x16xi32>) {
  ^bb0(%out171: i32):
    %i172 = linalg.index 1 : index
    %c173 = arith.index_cast %i172 : index to i32
    linalg.yield %c173 : i32
  } -> tensor<16x16xi32>
  %v175 = arith.cmpi sge, %v169, %v174 : tensor<16x16xi32>
  %v176 = arith.constant dense<0xFF800000> : tensor<f32>
  %v177 = func.call @_where(%v175, %v164, %v176) : (tensor<16x16xi1>, tensor<2x2x16x16xf32>, tensor<f32>) -> (tensor<2x2x16x16xf32>)
  %v178 = arith.constant 0xFF800000 : f32
  %v179 = tensor.empty() : tensor<2x2x16xf32>
  %v180 = linalg.fill ins(%v178 : f32) outs(%v179 : tensor<2x2x16xf32>) -> tensor<2x2x16xf32>
  %v184 = linalg.reduce ins(%v177 : tensor<2x2x16x16xf32>) outs(%v180 : tensor<2x2x16xf32>) dimensions = [3]
    (%in181: f32, %acc182: f32) {
      %r183 = arith.maximumf %in181, %acc182 : f32
      linalg.yield %r183 : f32
    }
  %v185 = arith.constant dense<0xFF800000> : tensor<2x2x16xf32>
  %v186 = arith.maximumf %v185, %v184 : tensor<2x2x16xf32>
  %v187 = tensor.expand_shape %v186 [[0], [1], [2, 3]] output_shape [2, 2, 16, 1] : tensor<2x2x16xf32> into tensor<2x2x16x1xf32>
  %v188 = tensor.empty() : tensor<2x2x16x16xf32>
  %v189 = linalg.broadcast ins(%v186 : tensor<2x2x16xf32>) outs(%v188 : tensor<2x2x16x16xf32>) dimensions = [3]
  %v190 = arith.subf %v177, %v189 : tensor<2x2x16x16xf32>
  %v191 = math.exp %v190 : tensor<2x2x16x16xf32>
  %v192 = arith.constant 0.0 : f32
  %v193 = tensor.empty() : tensor<2x2x16xf32>
  %v194 = linalg.fill ins(%v192 : f32) outs(%v193 : tensor<2x2x16xf32>) -> tensor<2x2x16xf32>
  %v198 = linalg.reduce ins(%v191 : tensor<2x2x16x16xf32>) outs(%v194 : tensor<2x2x16xf32>) dimensions = [3]
    (%in195: f32, %acc196: f32) {
      %r197 = arith.addf %in195, %acc196 : f32
      linalg.yield %r197 : f32
    }
  %v199 = tensor.expand_shape %v198 [[0], [1], [2, 3]] output_shape [2, 2, 16, 1] : tensor<2x2x16xf32> into tensor<2x2x16x1xf32>
  %v200 = tensor.empty() : tensor<2x2x16x16xf32>
  %v201 = linalg.broadcast ins(%v198 : tensor<2x2x16xf32>) outs(%v200 : tensor<2x2x16x16xf32>) dimensions = [3]
  %v202 = arith.divf %v191, %v201 : tensor<2x2x16x16xf32>
  %v203 = arith.truncf %v202 : tensor<2x2x16x16xf32> to tensor<2x2x16x16xbf16>
  %v204 = tensor.empty() : tensor<2x2x8x16xbf16>
  %v205 = linalg.transpose ins(%v48 : tensor<2x16x2x8xbf16>) outs(%v204 : tensor<2x2x8x16xbf16>) permutation = [0, 2, 3, 1]
  %v206 = tensor.empty() : tensor<2x2x16x16xbf16>
  %v207 = linalg.transpose ins(%v203 : tensor<2x2x16x16xbf16>) outs(%v206 : tensor<2x2x16x16xbf16>) permutation = [0, 1, 3, 2]
  %v208 = tensor.collapse_shape %v205 [[0, 1], [2], [3]] : tensor<2x2x8x16xbf16> into tensor<4x8x16xbf16>
  %v209 = tensor.collapse_shape %v207 [[0, 1], [2], [3]] : tensor<2x2x16x16xbf16> into tensor<4x16x16xbf16>
  %v210 = arith.constant 0.0 : f32
  %v211 = tensor.empty() : tensor<4x8x16xf32>
  %v212 = linalg.fill ins(%v210 : f32) outs(%v211 : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %v213 = linalg.batch_matmul ins(%v208, %v209 : tensor<4x8x16xbf16>, tensor<4x16x16xbf16>) outs(%v212 : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %v214 = arith.truncf %v213 : tensor<4x8x16xf32> to tensor<4x8x16xbf16>
  %v215 = tensor.expand_shape %v214 [[0, 1], [2], [3]] output_shape [2, 2, 8, 16] : tensor<4x8x16xbf16> into tensor<2x2x8x16xbf16>
  %v216 = tensor.empty() : tensor<2x16x2x8xbf16>
  %v217 = linalg.transpose ins(%v215 : tensor<2x2x8x16xbf16>) outs(%v216 : tensor<2x16x2x8xbf16>) permutation = [0, 3, 1, 2]
  %v218 = tensor.collapse_shape %v217 [[0], [1], [2, 3]] : tensor<2x16x2x8xbf16> into tensor<2x16x16xbf16>
  %v219 = tensor.collapse_shape %v217 [[0, 1], [2, 3]] : tensor<2x16x2x8xbf16> into tensor<32x16xbf16>
  %v220 = arith.constant 0.0 : f32
  %v221 = tensor.empty() : tensor<32x64xf32>
  %v222 = linalg.fill ins(%v220 : f32) outs(%v221 : tensor<32x64xf32>) -> tensor<32x64xf32>
  %v223 = linalg.matmul ins(%v219, %arg5 : tensor<32x16xbf16>, tensor<16x64xbf16>) outs(%v222 : tensor<32x64xf32>) -> tensor<32x64xf32>
  %v224 = arith.truncf %v223 : tensor<32x64xf32> to tensor<32x64xbf16>
  %v225 = tensor.expand_shape %v224 [[0, 1], [2]] output_shape [2, 16, 64] : tensor<32x64xbf16> into tensor<2x16x64xbf16>
  %v226 = braid.all_reduce %v225 on @mesh axes = [0] reduction = sum : tensor<2x16x64xbf16>
  %v227 = arith.addf %arg0, %v226 : tensor<2x16x64xbf16>
  %v228 = arith.extf %v227 : tensor<2x16x64xbf16> to tensor<2x16x64xf32>
  %v229 = arith.mulf %v228, %v228 : tensor<2x16x64xf32>
  %v230 = arith.constant 0.0 : f32
  %v231 = tensor.empty() : tensor<2x16xf32>
  %v232 = linalg.fill ins(%v230 : f32) outs(%v231 : tensor<2x16xf32>) -> tensor<2x16xf32>
  %v236 = linalg.reduce ins(%v229 : tensor<2x16x64xf32>) outs(%v232 : tensor<2x16xf32>) dimensions = [2]
    (%in233: f32, %acc234: f32) {
      %r235 = arith.addf %in233, %acc234 : f32
      linalg.yield %r235 : f32
    }
  %v237 = tensor.expand_shape %v236 [[0], [1, 2]] output_shape [2, 16, 1] : tensor<2x16xf32> into tensor<2x16x1xf32>
  %v238 = arith.constant dense<64.0> : tensor<2x16x1xf32>
  %v239 = arith.divf %v237, %v238 : tensor<2x16x1xf32>
  %v240 = arith.constant dense<9.999999747378752e-06> : tensor<2x16x1xf32>
  %v241 = arith.addf %v239, %v240 : tensor<2x16x1xf32>
  %v242 = math.rsqrt %v241 : tensor<2x16x1xf32>
  %v243 = tensor.collapse_shape %v242 [[0], [1, 2]] : tensor<2x16x1xf32> into tensor<2x16xf32>
  %v244 = tensor.empty() : tensor<2x16x64xf32>
  %v245 = linalg.broadcast ins(%v243 : tensor<2x16xf32>) outs(%v244 : tensor<2x16x64xf32>) dimensions = [2]
  %v246 = arith.mulf %v228, %v245 : tensor<2x16x64xf32>
  %v247 = arith.truncf %v246 : tensor<2x16x64xf32> to tensor<2x16x64xbf16>
  %v248 = tensor.expand_shape %arg6 [[0, 1, 2]] output_shape [1, 1, 64] : tensor<64xbf16> into tensor<1x1x64xbf16>
  %v249 = tensor.empty() : tensor<2x16x64xbf16>
  %v250 = linalg.broadcast ins(%arg6 : tensor<64xbf16>) outs(%v249 : tensor<2x16x64xbf16>) dimensions = [0, 1]
  %v251 = arith.mulf %v247, %v250 : tensor<2x16x64xbf16>
  %v252 = tensor.collapse_shape %v251 [[0, 1], [2]] : tensor<2x16x64xbf16> into tensor<32x64xbf16>
  %v253 = arith.constant 0.0 : f32
  %v254 = tensor.empty() : tensor<32x32xf32>
  %v255 = linalg.fill ins(%v253 : f32) outs(%v254 : tensor<32x32xf32>) -> tensor<32x32xf32>
  %v256 = linalg.matmul ins(%v252, %arg7 : tensor<32x64xbf16>, tensor<64x32xbf16>) outs(%v255 : tensor<32x32xf32>) -> tensor<32x32xf32>
  %v257 = arith.truncf %v256 : tensor<32x32xf32> to tensor<32x32xbf16>
  %v258 = tensor.expand_shape %v257 [[0, 1], [2]] output_shape [2, 16, 32] : tensor<32x32xbf16> into tensor<2x16x32xbf16>
  %v259 = func.call @silu(%v258) : (tensor<2x16x32xbf16>) -> (tensor<2x16x32xbf16>)
  %v260 = tensor.collapse_shape %v251 [[0, 1], [2]] : tensor<2x16x64xbf16> into tensor<32x64xbf16>
  %v261 = arith.constant 0.0 : f32
  %v262 = tensor.empty() : tensor<32x32xf32>
  %v263 = linalg.fill ins(%v261 : f32) outs(%v262 : tensor<32x32xf32>) -> tensor<32x32xf32>
  %v264 = linalg.matmul ins(%v260, %arg8 : tensor<32x64xbf16>, tensor<64x32xbf16>) outs(%v263 : tensor<32x32xf32>) -> tensor<32x32xf32>
  %v265 = arith.truncf %v264 : tensor<32x32xf32> to tensor<32x32xbf16>
  %v266 = tensor.expand_shape %v265 [[0, 1], [2]] output_shape [2, 16, 32] : tensor<32x32xbf16> into tensor<2x16x32xbf16>
  %v267 = arith.mulf %v259, %v266 : tensor<2x16x32xbf16>
  %v268 = tensor.collapse_shape %v267 [[0, 1], [2]] : tensor<2x16x32xbf16> into tensor<32x32xbf16>
  %v269 = arith.constant 0.0 : f32
  %v270 = tensor.empty() : tensor<32x64xf32>
  %v271 = linalg.fill ins(%v269 : f32) outs(%v270 : tensor<32x64xf32>) -> tensor<32x64xf32>
  %v272 = linalg.matmul ins(%v268, %arg9 : tensor<32x32xbf16>, tensor<32x64xbf16>) outs(%v271 : tensor<32x64xf32>) -> tensor<32x64xf32>
  %v273 = arith.truncf %v272 : tensor<32x64xf32> to tensor<32x64xbf16>
  %v274 = tensor.expand_shape %v273 [[0, 1], [2]] output_shape [2, 16, 64] : tensor<32x64xbf16> into tensor<2x16x64xbf16>
  %v275 = braid.all_reduce %v274 on @mesh axes = [0] reduction = sum : tensor<2x16x64xbf16>
  %v276 = arith.addf %v227, %v275 : tensor<2x16x64xbf16>
  return %v276 : tensor<2x16x64xbf16>
}

func.func private @_where(%arg0: tensor<16x16xi1>, %arg1: tensor<2x2x16x16xf32>, %arg2: tensor<f32>) -> (tensor<2x2x16x16xf32>) {
  %v1 = tensor.empty() : tensor<2x2x16x16xi1>
  %v2 = linalg.broadcast ins(%arg0 : tensor<16x16xi1>) outs(%v1 : tensor<2x2x16x16xi1>) dimensions = [0, 1]
  %v3 = tensor.extract %arg2[] : tensor<f32>
  %v4 = tensor.empty() : tensor<2x2x16x16xf32>
  %v5 = linalg.fill ins(%v3 : f32) outs(%v4 : tensor<2x2x16x16xf32>) -> tensor<2x2x16x16xf32>
  %v6 = arith.select %v2, %arg1, %v5 : tensor<2x2x16x16xi1>, tensor<2x2x16x16xf32>
  return %v6 : tensor<2x2x16x16xf32>
}

func.func private @silu(%arg0: tensor<2x16x32xbf16>) -> (tensor<2x16x32xbf16>) {
  %v1 = arith.negf %arg0 : tensor<2x16x32xbf16>
  %v2 = math.exp %v1 : tensor<2x16x32xbf16>
  %v3 = arith.constant dense<1.0> : tensor<2x16x32xbf16>
  %v4 = arith.addf %v3, %v2 : tensor<2x16x32xbf16>
  %v5 = arith.constant dense<1.0> : tensor<2x16x32xbf16>
  %v6 = arith.divf %v5, %v4 : tensor<2x16x32xbf16>
  %v7 = arith.mulf %arg0, %v6 : tensor<2x16x32xbf16>
  return %v7 : tensor<2x16x32xbf16>
}
