public enum Scenarios {}
