package main

import (
	"fmt"
	"time"
)

// cluster is the wabsp processes of (c): serve processes each on its own
// port, work processes, and optionally the one schedule process, laid out
// as operators scale out.
type cluster struct {
	apis     []string
	serves   []*process
	workers  []*process
	schedule *process
}

// startCluster starts the processes the options ask for and waits until
// every API answers.
func (e *benchEnv) startCluster(bin string) (*cluster, error) {
	c := &cluster{}
	for i := range max(1, e.o.serveProcs) {
		p, addr, err := e.startWabsp(bin, "serve", fmt.Sprintf("serve-%d", i))
		if err != nil {
			c.stop()
			return nil, err
		}
		c.serves, c.apis = append(c.serves, p), append(c.apis, addr)
	}
	for i := range max(1, e.o.workProcs) {
		p, _, err := e.startWabsp(bin, "work", fmt.Sprintf("work-%d", i),
			fmt.Sprintf("WABSP_WORKER_CONCURRENCY=%d", e.o.workerConc), fmt.Sprintf("WABSP_TENANT_SLOTS=%d", e.o.workerConc))
		if err != nil {
			c.stop()
			return nil, err
		}
		c.workers = append(c.workers, p)
	}
	if e.o.schedule {
		p, _, err := e.startWabsp(bin, "schedule", "schedule")
		if err != nil {
			c.stop()
			return nil, err
		}
		c.schedule = p
	}
	for _, a := range c.apis {
		if err := waitHTTP("http://"+a+"/healthz", 20*time.Second); err != nil {
			c.stop()
			return nil, err
		}
	}
	return c, nil
}

func (c *cluster) workerPIDs() []int {
	pids := make([]int, len(c.workers))
	for i, w := range c.workers {
		pids[i] = w.cmd.Process.Pid
	}
	return pids
}

// describe names the layout for the report.
func (c *cluster) describe() string {
	s := fmt.Sprintf("%d serve, %d work", len(c.serves), len(c.workers))
	if c.schedule != nil {
		s += ", 1 schedule"
	}
	return s + " processes"
}

// stop shuts the intake down first, so that nothing is accepted that no
// worker is left to apply.
func (c *cluster) stop() {
	for _, p := range c.serves {
		p.stop()
	}
	for _, p := range c.workers {
		p.stop()
	}
	c.schedule.stop()
}
