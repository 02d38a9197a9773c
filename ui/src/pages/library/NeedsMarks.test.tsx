import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { NeedsMarks } from "./parts";

describe("NeedsMarks", () => {
  it("says what a template needs to run for real, and that canned HTTP answers are simulated", () => {
    render(<NeedsMarks needs={["model", "simulated_network"]} full />);
    const marks = screen.getByTestId("template-needs");
    expect(marks.getAttribute("aria-label")).toBe("Needs: Model, Simulated HTTP");
    const model = marks.querySelector('[data-need="model"]');
    expect(model?.getAttribute("title")).toMatch(/default provider/);
    const canned = marks.querySelector('[data-need="simulated_network"]');
    expect(canned?.textContent).toBe("Simulated HTTP");
    expect(canned?.getAttribute("title")).toMatch(/canned responses/);
  });

  it("shows nothing for a template that needs neither a model nor the network", () => {
    const { container } = render(<NeedsMarks needs={[]} />);
    expect(container.innerHTML).toBe("");
  });
});
