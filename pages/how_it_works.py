"""A short explanation of GIO: the idea, the formula, a picture."""

import streamlit as st

from ui.explain import illustration
from ui.navigation import routed_page

routed_page()  # a first visit on this page's own address runs the app's router instead

st.title("How GIO works")
st.markdown(
    """
You have a **pool** G of candidate rows (say, a million web sentences) and a small **target** sample X of what you
actually want (a few hundred sentences from your domain). You may already have some data D. GIO picks the set
V ⊆ G that makes **D ∪ V look as much like X as possible**, measured by the KL divergence — an
information-theoretic distance between the two distributions. No labels are needed: only vectors (embeddings).
"""
)

left, right = st.columns([1, 1])
with left:
    st.subheader("The objective")
    st.latex(r"V^{*} \;=\; \arg\min_{V \subseteq G}\; \widehat{D}_{\mathrm{KL}}\!\left(X \,\Vert\, D \cup V\right)")
    st.markdown(
        "GIO estimates the KL divergence from nearest-neighbour distances, so it works in any number of "
        "dimensions without fitting a density. With n target rows x_i, m rows y_j in D ∪ V and d "
        "dimensions, the rank-averaged k-NN estimate GIO minimises is"
    )
    # one term a line: on one line the formula ran past the column's edge and was cut off
    st.latex(
        r"\begin{aligned}\widehat{D}(X \Vert Y) = {} & \frac{d}{n\,m}\sum_{i,j}\log\lVert x_i-y_j\rVert "
        r"\\ & -\; \frac{d}{n}\sum_{i}\log\rho_k(x_i) \\ & +\; "
        r"\frac{1}{m}\sum_{l=1}^{m}\log\frac{k\,m}{l\,(n-1)}\end{aligned}"
    )
    st.markdown(
        r"where $\rho_k(x_i)$ is the distance from $x_i$ to its k-th nearest other target row. "
        "Averaging over every neighbour rank (instead of using only the k-th) keeps the gradient non-zero, "
        "which is what lets GIO move towards empty regions."
    )
with right:
    st.subheader("One step")
    st.markdown(
        r"""
1. **Descend.** Start a free point $v$ (the paper: at the target mean) and run gradient descent on
   $\widehat{D}(X \Vert D \cup V \cup \{v\})$: $v$ moves to where the target is least covered.
2. **Snap.** Replace $v$ by the nearest pool row not picked yet, $g^{*} = \arg\min_{g \in G \setminus V}\lVert g - v\rVert$,
   and add it to V.
3. **Stop?** If adding $g^{*}$ raised the KL (or another stopping rule fires), drop it and stop: more data would no
   longer bring the selection closer to the target.
4. **Scale.** For large pools, K-means first quantises pool and target and GIO runs on the centroids. With a row
   budget, the budget is then shared among the chosen clusters by the target rows nearest each, and the target's
   rows take turns claiming their nearest rows of clusters with room left, so every target row gets rows near it
   (the paper: every row of a chosen cluster, which left whole regions out).
"""
    )

figure, curve, figure_heading, curve_heading = illustration()
left, right = st.columns([3, 2])
left.markdown(f"**{figure_heading}**")
left.plotly_chart(figure, width="stretch", config={"displaylogo": False})
right.markdown(f"**{curve_heading}**")
right.plotly_chart(curve, width="stretch", config={"displaylogo": False})
st.caption(
    "Grey: pool (three blobs). Blue: target, drawn from two of the blobs. The star is this step's optimum v "
    "with its descent path; the ring is the pool row it snapped to. The picks land where the target is."
)

st.subheader("GIO Studio's defaults, and why they differ from the paper")
st.markdown(
    """
The rank-averaged gradient above depends on the picks only through their number: every step descends towards the
same spot of the target, so the paper's GIO piles its picks there and leaves the rest of the target uncovered. The
app's **Recommended** recipe keeps the problem (lower the k-NN KL of the target against D ∪ V) and changes the
relaxation, as measured on held-out tasks (README, *Defaults*):

- **Objective: smooth k-NN KL.** A smooth version of the standard k-NN estimate; target rows that the picks already
  cover stop pulling, so each descent heads for what is still missing. The KL on the curve is that standard estimate,
  defined once there are k picks (so the curve starts at pick k and the start shows ∞ when D is empty).
- **Where v starts: each target row in turn**, in a random order; steps of a fixed fraction of the way to the
  descent's fixed point, kept within a quarter of a typical target neighbour distance.
- **Snap to the best of the 5 nearest rows** by the estimate, not just the nearest one.
- **Stop after 3 rises in a row** and keep the selection as it was at its lowest KL.

The **Paper** recipe (sidebar) sets every parameter to grad-info-opt 0.1.2's value.
"""
)

st.subheader("When GIO helps, and when random rows are as good")
st.markdown(
    """
Measured on Fashion-MNIST (60,000 images; a different target over 10 seeds, the other two over 3; README
*Quality at scale*, `benchmarks/real_data.py`):

- **Your target differs from your pool** (one domain, some classes): GIO keeps 0.72–1.00 of its picks in the target
  classes, and a classifier trained on them gains +1.6 to +7.7 points over the same number of random rows.
  Plain nearest-to-target matching is about as good: over ten seeds GIO is ahead on four of six groups (by up to
  0.7 points) and behind on two (by 0.4 and 0.65, the second more than one standard error). GIO is not always the
  best method.
- **Your target is your pool** (shrinking a data set): GIO ties random rows (+0.2 ± 0.4 points at 25%). Random rows
  are as good there, and free.
- **Corrupted rows in the pool**: GIO leaves out the corruptions your vectors can see (noise, occlusion), not those
  they cannot (blur, in PCA of pixels). Check what your embedding separates.
- **Big pools** (past 20,000 rows GIO runs on K-means clusters and takes or leaves whole clusters): on mixtures with
  known modes it kept 0.99–1.00 of its rows in the target, with 0.93–1.00 of the target's rows, from 30k to 1M
  rows. Where the target's modes overlap other data in few dimensions (64–128-d), or are tiny against the pool's
  (30 rows a mode), the clusters mix them and its own stop kept only 0.08–0.43 of its rows in the target: with
  such data give a budget (*Stopping rule → Stop at a budget*: 0.36–0.74 there) and check the picks on the map.
"""
)

st.subheader("Reading the app")
st.markdown(
    """
- **Map.** Pool ∪ target in 2-D (UMAP, or PCA while UMAP computes). Picks appear in pick order. Hover a point to
  see its row (id, label, text); click one, or draw a box or lasso, to list the rows below the map, with their
  images for image data.
- **Picks table.** Below the map: the picks in pick order with the KL after each, their label and text, following
  the step slider; search it, or click a column to sort. Image data add a gallery of the picked images.
- **Only a pool?** Under *Upload files*, take the target from the pool: box or lasso rows on its map, or filter by a
  label value, then *Select more like these*. Those rows become the target and leave the pool.
- **KL curve.** The estimate after each pick; red crosses are picks the stopping rule rejected.
- **Stopping rules.** *Several rises in a row* (the default) stops after 3 picks in a row make things worse and keeps
  the best selection; *KL rises* (the paper's default) stops at the first; the others stop at a budget, a KL floor or a
  minimum gain.
- **Reference.** D. Everaert and C. Potts, *GIO: Gradient Information Optimization for Training Dataset
  Selection*, ICLR 2024.
"""
)
