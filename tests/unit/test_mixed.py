"""Tests of trial/analysis/mixed.py against R: nlme::lme(y ~ visit * group, random = ~ 1 | id,
method = "REML"), with marginal means computed in R by hand from fixef() and vcov() (normal
reference), and lme4::lmer where the patient variance is at its boundary.

Expected values were produced ONCE by tools/r_reference/mixed_reference.R (output kept in
tools/r_reference/mixed_reference.out). Data: tests/data/orthodont.csv (nlme's Orthodont,
balanced), demo_sledai.csv (the demo's SLEDAI by response group, unbalanced) and the CDISC
pilot's albumin by arm over 10 visits from ../shared (skipped when absent).

Agreement: fixed effects, SEs, variance components and marginal means to 1e-6 or better on every
dataset except the demo's change-from-baseline model, where the REML patient variance is 0 (a
boundary): lme, which optimises log(sd), stops inside at 0.0014 with a lower REML likelihood
(by 0.0026); statsmodels reaches 0 like lmer, and matches lmer.
"""
from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd
import pytest

from trial.analysis.mixed import mixed_model
from trial.stats import measure_values, with_change_from_baseline

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
nan = float("nan")

# --- Frozen R reference values (mixed_reference.out) -------------------------------------------
# R4.2.2 nlme 3.1.162
ORTHO_TERMS = ["(Intercept)", "visit10", "visit12", "visit14", "groupFemale", "visit10:groupFemale", "visit12:groupFemale", "visit14:groupFemale"]
ORTHO_COEF = [22.875, 0.9375, 2.84375, 4.59375, -1.69318181818, 0.107954545455, -0.934659090909, -1.68465909091]
ORTHO_SE = [0.573390472926, 0.496869937187, 0.496869937187, 0.496869937187, 0.898330225269, 0.778445585823, 0.778445585823, 0.778445585823]
ORTHO_VAR = [3.28538827524, 1.97503787584]
ORTHO_REML_LOGLIK = [-211.704266414]
ORTHO_EMM_GROUP = ["Male", "Male", "Male", "Male", "Female", "Female", "Female", "Female"]
ORTHO_EMM_VISIT = [8, 10, 12, 14, 8, 10, 12, 14]
ORTHO_EMM = [22.875, 23.8125, 25.71875, 27.46875, 21.1818181818, 22.2272727273, 23.0909090909, 24.0909090909]
ORTHO_EMM_SE = [0.573390472926, 0.573390472926, 0.573390472926, 0.573390472926, 0.69153492984, 0.69153492984, 0.69153492984, 0.69153492984]
ORTHO_EMM_LOWER = [21.751175324, 22.688675324, 24.594925324, 26.344925324, 19.8264346253, 20.8718891707, 21.7355255344, 22.7355255344]
ORTHO_EMM_UPPER = [23.998824676, 24.936324676, 26.842574676, 28.592574676, 22.5372017384, 23.5826562838, 24.4462926474, 25.4462926474]
DEMO_TERMS = ["(Intercept)", "visit1", "visit3", "visit6", "visit9", "visit12", "groupNR", "groupPCR", "visit1:groupNR", "visit3:groupNR", "visit6:groupNR", "visit9:groupNR", "visit12:groupNR", "visit1:groupPCR", "visit3:groupPCR", "visit6:groupPCR", "visit9:groupPCR", "visit12:groupPCR"]
DEMO_COEF = [12.6923076923, 0.250596514986, -4.35863847799, -7.18768022379, -7.35863847799, -5.22225980864, -0.442307692308, 1.67132867133, -0.563096514986, 3.63555834965, 5.77967825413, 5.7439122424, 3.60180692164, -0.250596514986, 1.63136575072, 2.36949840561, 1.81318393254, -1.2322856459]
DEMO_SE = [1.24014492888, 0.948579878223, 0.923730636576, 0.948579878223, 0.923730636576, 0.948579878223, 1.66959620669, 1.83181545992, 1.24345992178, 1.24683819703, 1.2537146708, 1.24761370469, 1.2794127885, 1.35646808448, 1.33920878424, 1.35646808448, 1.33920878424, 1.35646808448]
DEMO_VAR = [14.8223624467, 5.1711103336]
DEMO_REML_LOGLIK = [-536.065030139]
DEMO_EMM_GROUP = ["MCR", "MCR", "MCR", "MCR", "MCR", "MCR", "NR", "NR", "NR", "NR", "NR", "NR", "PCR", "PCR", "PCR", "PCR", "PCR", "PCR"]
DEMO_EMM_VISIT = [0, 1, 3, 6, 9, 12, 0, 1, 3, 6, 9, 12, 0, 1, 3, 6, 9, 12]
DEMO_EMM = [12.6923076923, 12.9429042073, 8.33366921431, 5.50462746852, 5.33366921431, 7.47004788366, 12.25, 11.9375, 11.5269198717, 10.8419980303, 10.6352737644, 10.629547113, 14.3636363636, 14.3636363636, 11.6363636364, 9.54545454545, 8.81818181818, 7.90909090909]
DEMO_EMM_SE = [1.24014492888, 1.28148655634, 1.26320318938, 1.28148655634, 1.26320318938, 1.28148655634, 1.11785153253, 1.11785153253, 1.1421604343, 1.12924751382, 1.14300696597, 1.15771177547, 1.34817967444, 1.34817967444, 1.34817967444, 1.34817967444, 1.34817967444, 1.34817967444]
DEMO_EMM_LOWER = [10.2616682961, 10.4312367102, 5.85783645798, 2.99295997143, 2.85783645798, 4.95838038657, 10.0590512562, 9.74655125619, 9.28832655586, 8.62871357363, 8.39502127703, 8.36047372859, 11.721252757, 11.721252757, 8.99398002977, 6.90307093886, 6.17579821159, 5.2667073025]
DEMO_EMM_UPPER = [15.1229470885, 15.4545717044, 10.8095019706, 8.01629496561, 7.80950197065, 9.98171538076, 14.4409487438, 14.1284487438, 13.7655131875, 13.0552824871, 12.8755262518, 12.8986204974, 17.0060199702, 17.0060199702, 14.278747243, 12.187838152, 11.4605654248, 10.5514745157]
DEMO_CHANGE_TERMS = ["(Intercept)", "visit3", "visit6", "visit9", "visit12", "groupNR", "groupPCR", "baseline", "visit3:groupNR", "visit6:groupNR", "visit9:groupNR", "visit12:groupNR", "visit3:groupPCR", "visit6:groupPCR", "visit9:groupPCR", "visit12:groupPCR"]
DEMO_CHANGE_COEF = [2.99477450637, -4.62899074935, -7.44753296247, -7.62899074935, -5.51881277705, -0.66843442713, 0.0993756422005, -0.215415516673, 4.15804665164, 6.36360826323, 6.29098060012, 4.2779690321, 1.90171802208, 2.62935114429, 2.08353620389, -0.935732677493]
DEMO_CHANGE_SE = [0.879712815112, 1.01219515545, 1.03406142207, 1.01219515545, 1.03412716424, 0.949932600577, 1.036186165, 0.0387105772659, 1.34624376799, 1.35228207672, 1.34609810145, 1.37433378697, 1.44688950082, 1.46226988599, 1.44688950082, 1.46231637708]
DEMO_CHANGE_VAR = [0.00144209037837, 5.87922607177]
DEMO_CHANGE_REML_LOGLIK = [-410.077793457]
DEMO_CHANGE_EMM_GROUP = ["MCR", "MCR", "MCR", "MCR", "MCR", "NR", "NR", "NR", "NR", "NR", "PCR", "PCR", "PCR", "PCR", "PCR"]
DEMO_CHANGE_EMM_VISIT = [1, 3, 6, 9, 12, 1, 3, 6, 9, 12, 1, 3, 6, 9, 12]
DEMO_CHANGE_EMM = [0.174470269064, -4.45452048028, -7.27306269341, -7.45452048028, -5.34434250799, -0.493964158067, -0.964908255775, -1.57788885731, -1.8319743073, -1.73480790302, 0.273845911264, -2.45342681601, -4.54433590692, -5.27160863419, -6.18069954328]
DEMO_CHANGE_EMM_SE = [0.731380513548, 0.70007281968, 0.731167689376, 0.70007281968, 0.73117583439, 0.607128599724, 0.649674028094, 0.626949990819, 0.649001597567, 0.672918514803, 0.732821862851, 0.732821862851, 0.732821862851, 0.732821862851, 0.732821862851]
DEMO_CHANGE_EMM_LOWER = [-1.25900919649, -5.82663799341, -8.70612503124, -8.82663799341, -6.77742080976, -1.68391434751, -2.23824595253, -2.80668825942, -3.10399406444, -3.05370395657, -1.16245854701, -3.88973127428, -5.98064036519, -6.70791309246, -7.61700400155]
DEMO_CHANGE_EMM_UPPER = [1.60794973461, -3.08240296716, -5.84000035557, -6.08240296716, -3.91126420622, 0.695986031378, 0.30842944098, -0.349089455196, -0.559954550156, -0.415911849479, 1.71015036954, -1.01712235774, -3.10803144865, -3.83530417592, -4.74439508501]
DEMO_CHANGE_LMER_VAR = [0, 5.88045051635]
DEMO_CHANGE_LMER_REML_LOGLIK = [-410.075172224]
DEMO_CHANGE_LMER_TERMS = ["(Intercept)", "visit3", "visit6", "visit9", "visit12", "groupNR", "groupPCR", "baseline", "visit3:groupNR", "visit6:groupNR", "visit9:groupNR", "visit12:groupNR", "visit3:groupPCR", "visit6:groupPCR", "visit9:groupPCR", "visit12:groupPCR"]
DEMO_CHANGE_LMER_COEF = [2.99484320231, -4.62901127189, -7.44753670626, -7.62901127189, -5.51886222933, -0.668457436042, 0.0993605162083, -0.215419246226, 4.15798365703, 6.36362702703, 6.29096058453, 4.27811778113, 1.90173854462, 2.62935488808, 2.08355672644, -0.935683225214]
DEMO_CHANGE_LMER_SE = [0.879560841091, 1.01229520113, 1.0341576877, 1.01229520113, 1.03422348448, 0.949914753257, 1.036165595, 0.0386913567166, 1.34637525727, 1.3524119374, 1.34622947284, 1.37446069322, 1.44703641813, 1.46241408096, 1.44703641813, 1.46246061041]
PILOT_TERMS = ["(Intercept)", "visit2", "visit4", "visit6", "visit8", "visit12", "visit16", "visit20", "visit24", "visit26", "groupXanomeline High Dose", "groupXanomeline Low Dose", "visit2:groupXanomeline High Dose", "visit4:groupXanomeline High Dose", "visit6:groupXanomeline High Dose", "visit8:groupXanomeline High Dose", "visit12:groupXanomeline High Dose", "visit16:groupXanomeline High Dose", "visit20:groupXanomeline High Dose", "visit24:groupXanomeline High Dose", "visit26:groupXanomeline High Dose", "visit2:groupXanomeline Low Dose", "visit4:groupXanomeline Low Dose", "visit6:groupXanomeline Low Dose", "visit8:groupXanomeline Low Dose", "visit12:groupXanomeline Low Dose", "visit16:groupXanomeline Low Dose", "visit20:groupXanomeline Low Dose", "visit24:groupXanomeline Low Dose", "visit26:groupXanomeline Low Dose"]
PILOT_COEF = [39.8372093023, -0.969631606476, -1.04166849287, -0.987056780447, -0.376199188528, -0.634784040514, 0.314143812816, -0.482755818238, -0.217383690192, -0.0346311519982, 0.448504983389, -0.096546058785, -0.407366262142, -0.216497888936, 0.0508345317362, -0.290831376889, 0.190873303543, -0.838272613661, -0.563853998668, 0.0330354748118, -0.700664988371, -0.158970267438, -0.130730085887, -0.230805791069, -0.133738694812, -0.396651427949, -0.909402316473, -0.771043498107, 0.677218076254, -0.760151579101]
PILOT_SE = [0.311322274819, 0.282376209452, 0.286572900056, 0.29417783367, 0.29570357581, 0.30244758663, 0.301127520049, 0.305317926563, 0.3182138528, 0.3182138528, 0.442889121292, 0.444129612268, 0.404408795836, 0.413670443254, 0.425179966338, 0.439015975378, 0.452981800942, 0.481050726733, 0.503622198169, 0.51548877284, 0.528580953676, 0.40390321564, 0.41491001956, 0.431239938326, 0.434976205483, 0.452330162041, 0.469427319134, 0.508577991133, 0.534655478403, 0.539956130779]
PILOT_VAR = [4.9984350883, 3.33681896835]
PILOT_REML_LOGLIK = [-3864.79480738]
PILOT_EMM_GROUP = ["Placebo", "Placebo", "Placebo", "Placebo", "Placebo", "Placebo", "Placebo", "Placebo", "Placebo", "Placebo", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline Low Dose", "Xanomeline Low Dose", "Xanomeline Low Dose", "Xanomeline Low Dose", "Xanomeline Low Dose", "Xanomeline Low Dose", "Xanomeline Low Dose", "Xanomeline Low Dose", "Xanomeline Low Dose", "Xanomeline Low Dose"]
PILOT_EMM_VISIT = [0, 2, 4, 6, 8, 12, 16, 20, 24, 26, 0, 2, 4, 6, 8, 12, 16, 20, 24, 26, 0, 2, 4, 6, 8, 12, 16, 20, 24, 26]
PILOT_EMM = [39.8372093023, 38.8675776958, 38.7955408095, 38.8501525219, 39.4610101138, 39.2024252618, 40.1513531151, 39.3544534841, 39.6198256121, 39.8025781503, 40.2857142857, 38.9087164171, 39.0275479039, 39.349492037, 39.6186837203, 39.8418035487, 39.7615854849, 39.2391044688, 40.1013660703, 39.5504181453, 39.7406632435, 38.6120613696, 38.5682646648, 38.522800672, 39.2307253602, 38.7092277751, 39.1454047399, 38.4868639272, 40.2004976296, 38.9458805124]
PILOT_EMM_SE = [0.311322274819, 0.314733921493, 0.31850454427, 0.325363973876, 0.326744123774, 0.332859820844, 0.331660822234, 0.335470049267, 0.347248000408, 0.347248000408, 0.315006690342, 0.321856015588, 0.329818666635, 0.337666329736, 0.353660241157, 0.365375305147, 0.400640939801, 0.424496674302, 0.429243244671, 0.444880784885, 0.316748407566, 0.319437049808, 0.329481510025, 0.343306751467, 0.346650562067, 0.362802894301, 0.384539686803, 0.428704145436, 0.450433884389, 0.456695646805]
PILOT_EMM_LOWER = [39.2270288561, 38.250710545, 38.1712833738, 38.2124508512, 38.820603399, 38.5500320011, 39.5013098485, 38.6969442696, 38.9392320376, 39.1219845758, 39.6683125178, 38.2778902183, 38.3811151959, 38.6876781919, 38.9255223849, 39.1256811098, 38.9763436721, 38.4071062756, 39.2600647702, 38.6784678296, 39.1198477726, 37.9859762567, 37.9224927716, 37.8499318035, 38.5513027433, 37.9981471688, 38.3917208031, 37.6466192421, 39.3176634388, 38.0507734928]
PILOT_EMM_UPPER = [40.4473897486, 39.4844448467, 39.4197982451, 39.4878541925, 40.1014168286, 39.8548185226, 40.8013963818, 40.0119626985, 40.3004191866, 40.4831717248, 40.9031160537, 39.5395426159, 39.6739806119, 40.0113058821, 40.3118450557, 40.5579259877, 40.5468272976, 40.071102662, 40.9426673705, 40.4223684611, 40.3614787145, 39.2381464826, 39.214036558, 39.1956695405, 39.9101479771, 39.4203083814, 39.8990886766, 39.3271086123, 41.0833318204, 39.8409875321]
PILOT_CHANGE_TERMS = ["(Intercept)", "visit4", "visit6", "visit8", "visit12", "visit16", "visit20", "visit24", "visit26", "groupXanomeline High Dose", "groupXanomeline Low Dose", "baseline", "visit4:groupXanomeline High Dose", "visit6:groupXanomeline High Dose", "visit8:groupXanomeline High Dose", "visit12:groupXanomeline High Dose", "visit16:groupXanomeline High Dose", "visit20:groupXanomeline High Dose", "visit24:groupXanomeline High Dose", "visit26:groupXanomeline High Dose", "visit4:groupXanomeline Low Dose", "visit6:groupXanomeline Low Dose", "visit8:groupXanomeline Low Dose", "visit12:groupXanomeline Low Dose", "visit16:groupXanomeline Low Dose", "visit20:groupXanomeline Low Dose", "visit24:groupXanomeline Low Dose", "visit26:groupXanomeline Low Dose"]
PILOT_CHANGE_COEF = [14.1140311901, -0.0718763346892, -0.0247926459452, 0.583778493628, 0.323864341727, 1.27445790992, 0.479123456249, 0.74623190833, 0.929013779397, -0.239556463049, -0.173960487763, -0.37863316361, 0.190631779515, 0.464355313763, 0.128645650651, 0.615223258462, -0.418696070645, -0.149338738185, 0.446122270002, -0.285691672089, 0.0129786269169, -0.042683184176, 0.0472584514689, -0.24096352495, -0.708164669354, -0.669379671608, 0.757043946982, -0.69317124482]
PILOT_CHANGE_SE = [1.65912928452, 0.288841242484, 0.295818435559, 0.297386480758, 0.304132014647, 0.30281491409, 0.307010589584, 0.31989277115, 0.319890047098, 0.375521912184, 0.375246113921, 0.041085814136, 0.418213143336, 0.429357762014, 0.443384618179, 0.457416812954, 0.48564443229, 0.508280135879, 0.520147483453, 0.533272524071, 0.420700805305, 0.436627629764, 0.440562946237, 0.457302585794, 0.477246762424, 0.516123176716, 0.543270968511, 0.548938181485]
PILOT_CHANGE_VAR = [2.34167464811, 3.34433134015]
PILOT_CHANGE_REML_LOGLIK = [-3227.39019701]
PILOT_CHANGE_EMM_GROUP = ["Placebo", "Placebo", "Placebo", "Placebo", "Placebo", "Placebo", "Placebo", "Placebo", "Placebo", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline High Dose", "Xanomeline Low Dose", "Xanomeline Low Dose", "Xanomeline Low Dose", "Xanomeline Low Dose", "Xanomeline Low Dose", "Xanomeline Low Dose", "Xanomeline Low Dose", "Xanomeline Low Dose", "Xanomeline Low Dose"]
PILOT_CHANGE_EMM_VISIT = [2, 4, 6, 8, 12, 16, 20, 24, 26, 2, 4, 6, 8, 12, 16, 20, 24, 26, 2, 4, 6, 8, 12, 16, 20, 24, 26]
PILOT_CHANGE_EMM = [-1.0691082535, -1.14098458819, -1.09390089944, -0.485329759868, -0.745243911769, 0.205349656427, -0.589984797247, -0.322876345166, -0.140094474099, -1.30866471655, -1.18990927172, -0.869102048728, -0.596240572267, -0.369577116357, -0.452902877267, -0.978879998482, -0.116310538213, -0.665342609237, -1.24306874126, -1.30196644903, -1.31054457138, -0.612031796163, -1.16016792448, -0.67677550069, -1.43332495662, 0.260207114053, -1.00722620668]
PILOT_CHANGE_EMM_SE = [0.261632148627, 0.266248023451, 0.274452934964, 0.276090289921, 0.283391236654, 0.281974204108, 0.28645783312, 0.300265915206, 0.300279692029, 0.269025315478, 0.27888019292, 0.288269064592, 0.307253666319, 0.320653531414, 0.360641579874, 0.387260113379, 0.392510446378, 0.409666849578, 0.269446488413, 0.282210485909, 0.299565701856, 0.303706127034, 0.321161998106, 0.350063392329, 0.398058151292, 0.423136478892, 0.430347746904]
PILOT_CHANGE_EMM_LOWER = [-1.581897842, -1.6628211251, -1.63181876742, -1.02645678459, -1.30068052915, -0.347309628193, -1.15143183325, -0.911386724755, -0.728631855764, -1.83594464581, -1.73650440584, -1.43409903319, -1.19844669237, -0.998046489443, -1.15974738515, -1.73789587335, -0.88561687667, -1.46827488007, -1.77117415431, -1.85508883747, -1.89768255802, -1.20728486703, -1.78963387397, -1.36288714196, -2.2135045969, -0.569125145121, -1.85069229144]
PILOT_CHANGE_EMM_UPPER = [-0.55631866499, -0.619148051267, -0.55598303146, 0.0557972648573, -0.189807294392, 0.758008941047, -0.0285377612432, 0.265634034422, 0.448442907566, -0.78138478728, -0.643314137595, -0.304105064271, 0.00596554783575, 0.25889225673, 0.253941630613, -0.219864123611, 0.652995800244, 0.137589661596, -0.714963328209, -0.74884406059, -0.723406584739, -0.0167787252922, -0.530701974992, 0.00933614058135, -0.653145316333, 1.08953937323, -0.163760121924]



def close(actual, expected, tol=1e-6):
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(expected, float),
                               rtol=0, atol=tol, equal_nan=True)


def check(r, prefix, tol=1e-6, var_tol=1e-6, loglik=True):
    def ref(name):
        return globals()[f"{prefix}_{name}"]
    f = r.fixed.set_index("term").loc[ref("TERMS")]
    close(f["estimate"], ref("COEF"), tol)
    close(f["se"], ref("SE"), tol)
    close(r.variance["variance"], ref("VAR"), var_tol)
    assert r.emm["group"].astype(str).tolist() == ref("EMM_GROUP")
    assert r.emm["visit"].tolist() == ref("EMM_VISIT")
    for col, name in (("estimate", "EMM"), ("se", "EMM_SE"), ("lower", "EMM_LOWER"),
                      ("upper", "EMM_UPPER")):
        close(r.emm[col], ref(name), tol)
    if loglik:
        assert r.reml_loglik == pytest.approx(ref("REML_LOGLIK")[0], abs=1e-6)


def test_orthodont_matches_lme():
    o = pd.read_csv(DATA / "orthodont.csv")
    o["sex"] = pd.Categorical(o["sex"], ["Male", "Female"])  # R's factor order
    r = mixed_model(with_change_from_baseline(o), "sex")
    assert (r.n_patients, r.n_observations) == (27, 108) and r.converged
    check(r, "ORTHO")
    assert "compound symmetry" in r.assumptions and "not an unstructured MMRM" in r.assumptions


def demo_values(demo_trial):
    v = measure_values(demo_trial, "sledai", demo_trial.patients)
    return v.merge(demo_trial.patients[["patient_id", "response"]], on="patient_id")


def test_demo_values_from_the_trial_match_lme(demo_trial):
    v = demo_values(demo_trial)
    shipped = pd.read_csv(DATA / "demo_sledai.csv")
    assert v["value"].tolist() == shipped["value"].tolist()
    r = mixed_model(v, "response")
    check(r, "DEMO")
    assert r.messages == ()


def test_demo_change_at_the_variance_boundary_matches_lmer(demo_trial):
    r = mixed_model(demo_values(demo_trial), "response", "change")
    assert r.n_observations == 184
    assert "estimated at 0" in r.messages[0]
    f = r.fixed.set_index("term").loc[DEMO_CHANGE_LMER_TERMS]
    close(r.variance["variance"], DEMO_CHANGE_LMER_VAR, 1e-6)
    close(f["estimate"], DEMO_CHANGE_LMER_COEF, 2e-6)
    close(f["se"], DEMO_CHANGE_LMER_SE, 2e-6)
    assert r.reml_loglik == pytest.approx(DEMO_CHANGE_LMER_REML_LOGLIK[0], abs=1e-6)
    # lme stops inside the boundary: a lower REML likelihood, estimates 1e-4 away
    assert r.reml_loglik > DEMO_CHANGE_REML_LOGLIK[0] + 1e-3
    check(r, "DEMO_CHANGE", tol=1e-3, var_tol=2e-3, loglik=False)


@pytest.fixture(scope="module")
def albumin(shared_data):
    lb = pd.read_sas(shared_data / "cdiscpilot01" / "adlbc.xpt", encoding="latin1")
    lb = lb[(lb["PARAMCD"] == "ALB") & lb["AVISITN"].notna()]
    lb = lb.assign(month=lb["AVISITN"].round().astype(int))
    lb = lb[lb["month"] != 99].drop_duplicates(["USUBJID", "month"]).dropna(subset=["AVAL"])
    v = lb.rename(columns={"USUBJID": "patient_id", "AVAL": "value"})
    return with_change_from_baseline(v[["patient_id", "month", "value", "TRTA"]])


def test_pilot_albumin_by_arm_matches_lme(albumin):
    check(mixed_model(albumin, "TRTA"), "PILOT")


def test_pilot_albumin_change_with_baseline_covariate_matches_lme(albumin):
    r = mixed_model(albumin, "TRTA", "change")
    check(r, "PILOT_CHANGE")
    assert 0 not in r.emm["visit"].tolist()
