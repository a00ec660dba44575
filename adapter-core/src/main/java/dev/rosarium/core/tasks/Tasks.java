package dev.rosarium.core.tasks;

import java.util.List;

/** The registry of tasks by name. */
public final class Tasks {
    private static final List<Task> ALL = List.of(new Sst2Task(), new MrpcTask(), new Gsm8kTask(), new ViggoTask(),
            new SqlTask());

    private Tasks() {
    }

    public static Task byName(String name) {
        for (Task t : ALL) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown task '" + name + "'; known: "
                + ALL.stream().map(Task::name).toList());
    }

    /** Whether the task named {@code name} is generative (an unknown name is refused as by {@link #byName}). */
    public static boolean generative(String name) {
        return byName(name) instanceof Task.Generation;
    }
}
