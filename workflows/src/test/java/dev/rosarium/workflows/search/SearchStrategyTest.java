package dev.rosarium.workflows.search;

import dev.rosarium.workflows.TrialOutcome;
import dev.rosarium.workflows.TrialStatus;
import dev.rosarium.workflows.spec.EarlyStopping;
import dev.rosarium.workflows.spec.Objective;
import dev.rosarium.workflows.spec.ParameterRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SearchStrategyTest {
    static final Objective MAX = new Objective("accuracy", true);

    @Test
    void gridVisitsEveryCombinationOnce() {
        GridSearch g = new GridSearch(List.of(ParameterRange.choice("method.name", List.of("lora", "rosa")),
                ParameterRange.choice("training.lr", List.of("1e-4", "1e-3", "1e-2"))));
        Set<Map<String, String>> seen = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            seen.add(g.suggest(i, List.of()));
        }
        assertEquals(6, seen.size());
        assertEquals(Map.of("method.name", "lora", "training.lr", "1e-3"), g.suggest(1, List.of()));
    }

    @Test
    void randomDrawsStayInRangeAndDependOnlyOnSeedAndIndex() {
        List<ParameterRange> space = List.of(new ParameterRange("training.lr", ParameterRange.Kind.LOG_UNIFORM,
                null, 1e-5, 1e-2), new ParameterRange("method.r", ParameterRange.Kind.INT_UNIFORM, null, 4, 8));
        RandomSearch r = new RandomSearch(space, 3);
        for (int i = 0; i < 200; i++) {
            double lr = Double.parseDouble(r.suggest(i, List.of()).get("training.lr"));
            int rank = Integer.parseInt(r.suggest(i, List.of()).get("method.r"));
            assertTrue(lr >= 1e-5 && lr <= 1e-2, "lr " + lr);
            assertTrue(rank >= 4 && rank <= 8, "r " + rank);
        }
        assertEquals(r.suggest(7, List.of()), new RandomSearch(space, 3).suggest(7, List.of()));
        assertFalse(r.suggest(7, List.of()).equals(new RandomSearch(space, 4).suggest(7, List.of())));
    }

    @Test
    void tpeConcentratesNearTheBestRegion() {
        // objective peaks at x = 0.8 on [0, 1]; after 20 random trials TPE should draw closer to it than random
        ParameterRange x = new ParameterRange("method.dropout", ParameterRange.Kind.UNIFORM, null, 0, 1);
        TpeSearch tpe = new TpeSearch(List.of(x), 11, MAX);
        List<TrialOutcome> history = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            history.add(outcome(i, tpe.suggest(i, history)));
        }
        double tpeErr = 0;
        double randErr = 0;
        RandomSearch random = new RandomSearch(List.of(x), 11);
        for (int i = 20; i < 60; i++) {
            tpeErr += Math.abs(Double.parseDouble(tpe.suggest(i, history).get("method.dropout")) - 0.8);
            randErr += Math.abs(Double.parseDouble(random.suggest(i, history).get("method.dropout")) - 0.8);
        }
        assertTrue(tpeErr < 0.6 * randErr, "TPE mean error " + tpeErr / 40 + " vs random " + randErr / 40);
    }

    static TrialOutcome outcome(int i, Map<String, String> params) {
        double v = Double.parseDouble(params.get("method.dropout"));
        return new TrialOutcome(i, "t" + i, params, TrialStatus.FINISHED, Map.of("accuracy", 1 - Math.abs(v - 0.8)),
                1, null, null);
    }

    @Test
    void medianRuleAndAshaDecideAsDocumented() {
        EarlyStopping median = new EarlyStopping("median", 2, 3);
        assertTrue(median.keepGoing(0.1, List.of(0.9), MAX), "too few others");
        assertFalse(median.keepGoing(0.5, List.of(0.6, 0.9), MAX));
        assertTrue(median.keepGoing(0.75, List.of(0.6, 0.9), MAX));
        assertTrue(median.keepGoing(0.5, List.of(0.6, 0.9), new Objective("loss", false)));
        EarlyStopping asha = new EarlyStopping("asha", 1, 3);
        assertTrue(asha.keepGoing(0.1, List.of(0.9), MAX), "fewer than eta reports");
        assertTrue(asha.keepGoing(0.95, List.of(0.9, 0.5), MAX), "top third of three");
        assertFalse(asha.keepGoing(0.6, List.of(0.9, 0.5), MAX));
        assertTrue(EarlyStopping.none().keepGoing(0, List.of(1.0, 1.0, 1.0), MAX));
    }
}
