"""Server-rendered scoring pages, a module per page family:

- `dashboard`: the leader dashboard (Tổng quan), with its month chart;
- `ranking`: the ranking table (Xếp hạng) of a criteria set and a peer group, with its chart and export link;
- `breakdown`: a unit's score criterion by criterion (the XLSX score sheets are the API's export);
- `appraisal`: the appraiser's list of units and the appraisal entry of one unit (Thẩm định);
- `survey`: the survey import with its preview, and the CSV template (Điều tra xã hội học);
- `round`: a criteria set's assessment round (Kỳ đánh giá): its stage, next step and the units' progress;
- `self_assessment`: a unit's self-assessment and explanation (Tự đánh giá, giải trình), its evidence files;
- `_common`: query parameters, SVG numbers and the appraiser check the pages share.

Thin: reads come from `scoring.selectors` and `scoring.dashboard`, writes go through `scoring.services`, and
who may see or do what is asked of `scoring.permissions`. Something the user may not see answers 404;
something they may see but not do answers 403. Every page takes a constant number of queries, however many
units, criteria and tasks there are.
"""
